//! Where configuration comes from: embedded defaults, then a TOML file, then `RELAIS_*`
//! environment variables, each layer overriding the one before.

use std::path::{Path, PathBuf};

use toml::{Table, Value};

/// The file read when neither `--config` nor `RELAIS_CONFIG` names one.
pub const DEFAULT_FILE: &str = "relais.toml";

/// Environment variables that are not configuration keys.
pub const NOT_KEYS: &[&str] = &["RELAIS_CONFIG"];

#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// A file the operator named explicitly: it must exist.
    pub file: Option<PathBuf>,
    /// Read `relais.toml` from the working directory when no file is named.
    pub default_file: bool,
    /// `(name, value)` pairs, normally `std::env::vars()`.
    pub env: Vec<(String, String)>,
}

impl Sources {
    /// The process's own sources: `--config` (or `RELAIS_CONFIG`) and its environment.
    pub fn from_process(config_flag: Option<PathBuf>) -> Self {
        let env: Vec<(String, String)> = std::env::vars().collect();
        let file = config_flag.or_else(|| {
            env.iter()
                .find(|(k, _)| k == "RELAIS_CONFIG")
                .map(|(_, v)| PathBuf::from(v))
        });
        Self {
            file,
            default_file: true,
            env,
        }
    }

    /// Merges file and environment into one tree of values. The only error is a file that
    /// cannot be read or parsed; everything else is judged key by key later.
    pub fn merge(&self) -> Result<Table, String> {
        let mut root = match &self.file {
            Some(path) => read_file(path)?,
            None if self.default_file && Path::new(DEFAULT_FILE).exists() => read_file(Path::new(DEFAULT_FILE))?,
            None => Table::new(),
        };
        for (name, value) in &self.env {
            let Some(rest) = name.strip_prefix("RELAIS_") else {
                continue;
            };
            if NOT_KEYS.contains(&name.as_str()) || rest.is_empty() {
                continue;
            }
            let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
            insert(&mut root, &path, Value::String(value.clone()));
        }
        Ok(root)
    }
}

fn read_file(path: &Path) -> Result<Table, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read configuration file {}: {e}", path.display()))?;
    text.parse::<Table>()
        .map_err(|e| format!("configuration file {} is not valid TOML: {e}", path.display()))
}

fn insert(table: &mut Table, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut current = table;
    for part in parents {
        let entry = current
            .entry(part.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        if !entry.is_table() {
            *entry = Value::Table(Table::new());
        }
        let Value::Table(inner) = entry else { return };
        current = inner;
    }
    current.insert(last.clone(), value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_the_file_and_nests_on_double_underscores() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("relais.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:1\"\n[storage]\nbucket = \"from-file\"\nregion = \"eu\"\n",
        )
        .expect("write");
        let sources = Sources {
            file: Some(file),
            default_file: false,
            env: vec![
                ("RELAIS_STORAGE__BUCKET".into(), "from-env".into()),
                ("RELAIS_CONFIG".into(), "ignored".into()),
                ("HOME".into(), "/root".into()),
            ],
        };
        let root = sources.merge().expect("merge");
        assert_eq!(root["listen"].as_str(), Some("0.0.0.0:1"));
        assert_eq!(root["storage"]["bucket"].as_str(), Some("from-env"));
        assert_eq!(root["storage"]["region"].as_str(), Some("eu"));
        assert!(!root.contains_key("config") && !root.contains_key("home"));
    }

    #[test]
    fn a_named_file_that_does_not_exist_is_an_error() {
        let sources = Sources {
            file: Some("/nonexistent/relais.toml".into()),
            ..Sources::default()
        };
        assert!(
            sources
                .merge()
                .expect_err("missing file")
                .contains("/nonexistent/relais.toml")
        );
    }
}
