//! The tus `Upload-Metadata` header: `key base64value,key2 base64value2,flag`.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MetadataError {
    #[error("empty or malformed key in Upload-Metadata")]
    BadKey,
    #[error("key {0:?} appears twice in Upload-Metadata")]
    Duplicate(String),
    #[error("value of {0:?} in Upload-Metadata is not base64")]
    NotBase64(String),
    #[error("value of {0:?} in Upload-Metadata is not UTF-8 text")]
    NotText(String),
}

/// Decoded metadata; values are text (every key Relais reads is text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata(BTreeMap<String, String>);

impl Metadata {
    pub fn parse(header: &str) -> Result<Self, MetadataError> {
        let mut map = BTreeMap::new();
        for pair in header.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = match pair.split_once(' ') {
                Some((k, v)) => (k, v.trim()),
                None => (pair, ""),
            };
            if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic() && b != b',') {
                return Err(MetadataError::BadKey);
            }
            let bytes = STANDARD
                .decode(value)
                .map_err(|_| MetadataError::NotBase64(key.to_owned()))?;
            let text = String::from_utf8(bytes).map_err(|_| MetadataError::NotText(key.to_owned()))?;
            if map.insert(key.to_owned(), text).is_some() {
                return Err(MetadataError::Duplicate(key.to_owned()));
            }
        }
        Ok(Self(map))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// Back to header form, for HEAD responses.
    pub fn encode(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| {
                if v.is_empty() {
                    k.clone()
                } else {
                    format!("{k} {}", STANDARD.encode(v))
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_the_specification_allows() {
        // "Église.jpg" and "image/jpeg", with a flag key without value.
        let m = Metadata::parse("filename w4lnbGlzZS5qcGc=,filetype aW1hZ2UvanBlZw==,is_confidential").expect("valid");
        assert_eq!(m.get("filename"), Some("Église.jpg"));
        assert_eq!(m.get("filetype"), Some("image/jpeg"));
        assert_eq!(m.get("is_confidential"), None);
        assert_eq!(Metadata::parse(&m.encode()), Ok(m));
        assert_eq!(Metadata::parse(""), Ok(Metadata::default()));
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert_eq!(
            Metadata::parse("a YQ==,a Yg=="),
            Err(MetadataError::Duplicate("a".into()))
        );
        assert_eq!(
            Metadata::parse("filename !!!"),
            Err(MetadataError::NotBase64("filename".into()))
        );
        assert_eq!(
            Metadata::parse("filename /w=="),
            Err(MetadataError::NotText("filename".into()))
        );
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_header_parses_or_is_refused_without_panicking(header in "\\PC{0,120}") {
            let _ = Metadata::parse(&header);
        }

        #[test]
        fn encoded_metadata_reads_back(pairs in proptest::collection::btree_map("[a-z]{1,8}", "\\PC{0,20}", 0..5)) {
            let mut map = std::collections::BTreeMap::new();
            for (k, v) in &pairs {
                map.insert(k.clone(), v.clone());
            }
            let encoded = Metadata(map.clone()).encode();
            prop_assert_eq!(Metadata::parse(&encoded), Ok(Metadata(map)));
        }
    }
}
