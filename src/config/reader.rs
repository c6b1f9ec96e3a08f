//! Walks the merged configuration tree key by key, collecting every problem instead of
//! stopping at the first one.

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;

use secrecy::SecretString;
use toml::{Table, Value};

/// One thing wrong with the configuration, by key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.key, env_name(&self.key), self.message)
    }
}

/// The environment variable that sets `key`: `storage.bucket` → `RELAIS_STORAGE__BUCKET`.
pub fn env_name(key: &str) -> String {
    format!("RELAIS_{}", key.to_ascii_uppercase().replace('.', "__"))
}

pub struct Reader {
    root: Table,
    seen: BTreeSet<String>,
    pub problems: Vec<Problem>,
}

/// Shows a value in an error message; secrets are never shown.
fn shown(value: &str) -> String {
    let clipped: String = value.chars().take(80).collect();
    format!("{clipped:?}")
}

impl Reader {
    pub fn new(root: Table) -> Self {
        Self {
            root,
            seen: BTreeSet::new(),
            problems: Vec::new(),
        }
    }

    pub fn problem(&mut self, key: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            key: key.to_owned(),
            message: message.into(),
        });
    }

    fn lookup(&self, key: &str) -> Option<&Value> {
        let mut parts = key.split('.');
        let mut current = self.root.get(parts.next()?)?;
        for part in parts {
            current = match current {
                Value::Table(table) => table.get(part)?,
                _ => return None,
            };
        }
        Some(current)
    }

    /// The raw text of a scalar value. Environment variables arrive as text, the file may
    /// hold numbers or booleans; both are turned into text here and parsed by the caller,
    /// so every key has one parser whatever its source.
    pub fn text(&mut self, key: &str) -> Option<String> {
        self.seen.insert(key.to_owned());
        let text = match self.lookup(key)? {
            Value::String(s) => s.clone(),
            Value::Boolean(b) => b.to_string(),
            Value::Integer(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Datetime(d) => d.to_string(),
            Value::Table(_) | Value::Array(_) => {
                self.problem(key, "expected a single value, got a table or a list");
                return None;
            }
        };
        Some(text)
    }

    /// Parses `key` with `parse`; on failure records `what is wrong (got X, expected Y)`.
    pub fn parse<T>(&mut self, key: &str, expected: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let raw = self.text(key)?;
        match parse(raw.trim()) {
            Ok(v) => Some(v),
            Err(why) => {
                self.problem(key, format!("{why} (got {}; expected {expected})", shown(&raw)));
                None
            }
        }
    }

    /// A list: a TOML array of strings, or comma-separated text (environment).
    pub fn list(&mut self, key: &str) -> Option<Vec<String>> {
        self.seen.insert(key.to_owned());
        match self.lookup(key)? {
            Value::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Value::String(s) => out.push(s.trim().to_owned()),
                        other => {
                            let shown = other.to_string();
                            self.problem(key, format!("expected a list of strings (got {shown})"));
                            return None;
                        }
                    }
                }
                Some(out)
            }
            Value::String(s) => Some(
                s.split(',')
                    .map(|p| p.trim().to_owned())
                    .filter(|p| !p.is_empty())
                    .collect(),
            ),
            _ => {
                self.problem(key, "expected a list of strings, or comma-separated text");
                None
            }
        }
    }

    pub fn bool(&mut self, key: &str) -> Option<bool> {
        self.parse(key, "true or false", |s| match s.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err("not a boolean".into()),
        })
    }

    pub fn path(&mut self, key: &str) -> Option<PathBuf> {
        self.parse(key, "a path", |s| {
            if s.is_empty() {
                Err("empty".into())
            } else {
                Ok(PathBuf::from(s))
            }
        })
    }

    /// A secret given either as `key` or as a file named by `key_file`, never both.
    /// Problems name the key but never show the value.
    pub fn secret(&mut self, key: &str) -> Option<SecretString> {
        let file_key = format!("{key}_file");
        let direct = self.text(key);
        let file = self.text(&file_key);
        match (direct, file) {
            (Some(_), Some(_)) => {
                self.problem(key, format!("set both {key} and {file_key}; keep one"));
                None
            }
            (Some(value), None) if value.is_empty() => {
                self.problem(key, "empty (expected the secret, or unset it)");
                None
            }
            (Some(value), None) => Some(SecretString::from(value)),
            (None, Some(path)) => match std::fs::read_to_string(&path) {
                // Files written by editors and `echo` end with a newline that is not part
                // of the secret.
                Ok(content) if !content.trim_end_matches(['\n', '\r']).is_empty() => {
                    Some(SecretString::from(content.trim_end_matches(['\n', '\r']).to_owned()))
                }
                Ok(_) => {
                    self.problem(
                        &file_key,
                        format!("file {} is empty (expected a file holding the secret)", shown(&path)),
                    );
                    None
                }
                Err(e) => {
                    self.problem(
                        &file_key,
                        format!(
                            "cannot read {}: {e} (expected a readable file holding the secret)",
                            shown(&path)
                        ),
                    );
                    None
                }
            },
            (None, None) => None,
        }
    }

    /// Reports every key present in the sources that nothing read: a typo in a key must
    /// not silently fall back to a default.
    pub fn report_unknown(&mut self, ignored: &[&str]) {
        let mut present = Vec::new();
        collect_keys(&self.root, "", &mut present);
        for key in present {
            if !self.seen.contains(&key) && !ignored.contains(&key.as_str()) {
                let hint = closest(&key, &self.seen)
                    .map(|k| format!("; did you mean {k} ({})?", env_name(k)))
                    .unwrap_or_default();
                self.problem(&key, format!("unknown key{hint}"));
            }
        }
    }
}

fn collect_keys(table: &Table, prefix: &str, out: &mut Vec<String>) {
    for (name, value) in table {
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match value {
            Value::Table(inner) => collect_keys(inner, &key, out),
            _ => out.push(key),
        }
    }
}

/// The known key closest to `key` as a whole path (edit distance over every level, so
/// `upload.max_file_size` finds `uploads.max_file_size` and `storge.backend` finds
/// `storage.backend`), or the known key ending in the same last level (`max_file_size`
/// alone → `uploads.max_file_size`). Nothing when no key is close enough to help.
fn closest<'a>(key: &str, known: &'a BTreeSet<String>) -> Option<&'a String> {
    let allowed = (key.chars().count() / 4).clamp(1, 4);
    let by_distance = known
        .iter()
        .map(|k| (edit_distance(key, k), k))
        .filter(|(d, _)| *d <= allowed)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k);
    by_distance.or_else(|| {
        let last = key.rsplit('.').next()?;
        let mut same_leaf = known.iter().filter(|k| k.rsplit('.').next() == Some(last));
        let found = same_leaf.next()?;
        // Only a single candidate is a suggestion; several would be a guess.
        same_leaf.next().is_none().then_some(found)
    })
}

/// Levenshtein distance, counting an adjacent swap (`bukcet`) as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> BTreeSet<String> {
        [
            "uploads.max_file_size",
            "uploads.part_size",
            "storage.backend",
            "storage.bucket",
            "storage.secret_access_key",
            "storage.secret_access_key_file",
            "listen",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect()
    }

    #[test]
    fn suggestions_compare_whole_key_paths() {
        let known = known();
        let suggest = |k: &str| closest(k, &known).map(String::as_str);
        assert_eq!(suggest("upload.max_file_size"), Some("uploads.max_file_size"));
        assert_eq!(suggest("storge.backend"), Some("storage.backend"));
        assert_eq!(suggest("storage.bukcet"), Some("storage.bucket"));
        assert_eq!(suggest("max_file_size"), Some("uploads.max_file_size"));
        assert_eq!(suggest("lisen"), Some("listen"));
        assert_eq!(suggest("completely.different"), None);
    }
}
