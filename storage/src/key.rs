use std::fmt;

/// A validated object key: `/`-separated segments of `[A-Za-z0-9._-]`, none of them
/// empty or starting with `.`. User-supplied names never become keys; keys are built from ids
/// by [`keys`], so a hostile file name can never escape its place in storage.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobKey(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid object key {key:?}: {reason}")]
pub struct KeyError {
    key: String,
    reason: &'static str,
}

impl BlobKey {
    pub fn parse(key: &str) -> Result<Self, KeyError> {
        let fail = |reason| {
            Err(KeyError {
                key: key.to_owned(),
                reason,
            })
        };
        if key.is_empty() || key.len() > 512 {
            return fail("must be 1 to 512 characters");
        }
        for segment in key.split('/') {
            // A leading '.' is refused too: the local backend keeps its own work under
            // `.multipart/` and `.tmp/`, where no object may land.
            if segment.is_empty() || segment.starts_with('.') {
                return fail("empty segment, or one starting with '.'");
            }
            if !segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            {
                return fail("only ASCII letters, digits, '.', '_' and '-' are allowed");
            }
        }
        Ok(Self(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn to_path(&self) -> object_store::path::Path {
        object_store::path::Path::from(self.0.as_str())
    }
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobKey({})", self.0)
    }
}

/// The key layout: the only place that decides where an object lives.
pub mod keys {
    use super::BlobKey;
    use uuid::Uuid;

    fn build(prefix: &str, id: Uuid, suffix: Option<&str>) -> BlobKey {
        let simple = id.simple().to_string();
        // Two hex characters of fan-out keep directories small on the local backend.
        let key = match suffix {
            Some(s) => format!("{prefix}/{}/{simple}/{s}", &simple[..2]),
            None => format!("{prefix}/{}/{simple}", &simple[..2]),
        };
        BlobKey(key)
    }

    /// The bytes of a stored file, exactly as uploaded.
    pub fn file(id: Uuid) -> BlobKey {
        build("files", id, None)
    }

    /// A derived object of a file (thumbnail, poster…); `name` must be a valid segment.
    pub fn derived(id: Uuid, name: &str) -> Option<BlobKey> {
        BlobKey::parse(name).ok().filter(|n| !n.0.contains('/'))?;
        Some(build("derived", id, Some(name)))
    }

    /// Bytes of an upload waiting to be merged into its next part.
    pub fn staged_tail(upload: Uuid, seq: u64) -> BlobKey {
        build("staging", upload, Some(&format!("tail-{seq:06}")))
    }

    /// A PDF the quote site sent (one object per received version).
    pub fn document(id: Uuid) -> BlobKey {
        build("documents", id, None)
    }

    /// Short-lived object written and removed by `relais check` and `/readyz`.
    pub fn probe(id: Uuid) -> BlobKey {
        BlobKey(format!("probes/{}", id.simple()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn accepts_the_keys_the_layout_builds() {
        let id = Uuid::now_v7();
        for key in [keys::file(id), keys::staged_tail(id, 3), keys::probe(id)] {
            assert_eq!(BlobKey::parse(key.as_str()).as_ref(), Ok(&key));
        }
        assert!(keys::derived(id, "thumb.webp").is_some());
    }

    #[test]
    fn refuses_escapes_and_odd_characters() {
        for bad in [
            "",
            "../etc/passwd",
            "a//b",
            "/abs",
            "a/./b",
            "a/..",
            "é",
            "a b",
            "a\\b",
            "a/",
            "x\0",
            ".multipart/x",
        ] {
            assert!(BlobKey::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(keys::derived(Uuid::nil(), "../x").is_none());
        assert!(keys::derived(Uuid::nil(), "a/b").is_none());
    }
}
