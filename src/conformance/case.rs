//! The case file format of the conformance pack, and loading a directory of cases.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

/// One recorded AWS execution.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    /// `<category>/<test>...`
    pub id: String,
    /// The ASL definition.
    pub definition: Value,
    /// The exact StartExecution input.
    pub input_text: String,
    /// Features the definition uses (for selection and reporting).
    #[serde(default)]
    pub features: Vec<String>,
    /// Lambda functions by name, described by behaviour.
    #[serde(default)]
    pub lambdas: Option<Map<String, Value>>,
    /// Names used for ARNs and the context object.
    pub environment: Environment,
    /// How the recording was normalised.
    #[serde(default)]
    pub normalisation: Normalisation,
    /// False for output-only cases.
    #[serde(default = "yes")]
    pub events_recorded: bool,
    /// What AWS produced.
    pub expected: Expected,
}

fn yes() -> bool {
    true
}

/// The `environment` member.
#[derive(Debug, Clone, Deserialize)]
#[allow(missing_docs)]
pub struct Environment {
    pub account_id: String,
    pub region: String,
    pub partition: String,
    pub state_machine_name: String,
    pub state_machine_arn: String,
    pub execution_name: String,
    pub execution_arn: String,
    pub role_arn: String,
}

/// The `normalisation` member.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Normalisation {
    /// Ordered transformers (regex, jsonpath, runtime_value, parallel_branch_events).
    #[serde(default)]
    pub test_transformers: Vec<Value>,
}

/// The `expected` member.
#[derive(Debug, Clone, Deserialize)]
#[allow(missing_docs)]
pub struct Expected {
    pub status: String,
    #[serde(default)]
    pub output: Option<Value>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub cause: Option<Value>,
    #[serde(default)]
    pub events: Option<Vec<Value>>,
}

/// Why the case directory could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The directory does not exist.
    #[error("{path} does not exist")]
    Missing {
        /// The directory asked for.
        path: PathBuf,
    },
    /// The path names something other than a directory.
    #[error("{path} is not a directory")]
    NotADirectory {
        /// The path asked for.
        path: PathBuf,
    },
    /// No `*.json` file anywhere below the directory: running nothing must not pass.
    #[error("{path} holds no case files (*.json)")]
    Empty {
        /// The directory asked for.
        path: PathBuf,
    },
    /// The directory or a file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// What was being read.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file is not a valid case.
    #[error("{path} is not a valid case: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// Reads and parses one case file; the error names the file.
pub fn load_case(path: &Path) -> Result<Case, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_str::<Case>(&text).map_err(|e| LoadError::Format {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// Loads every `*.json` case below `dir` (see [`case_files`]), sorted by id; the first
/// file that is not a valid case is the error.
pub fn load_cases(dir: &Path) -> Result<Vec<Case>, LoadError> {
    let mut cases = case_files(dir)?
        .iter()
        .map(|path| load_case(path))
        .collect::<Result<Vec<_>, _>>()?;
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(cases)
}

/// Every `*.json` file below `dir`, in a stable order. Symbolic links are followed, but
/// each directory and each file is visited once however many links reach it, so a
/// directory linked into itself ends the walk instead of looping and a linked case runs
/// once. A missing, unreadable or case-less directory is an error: CI must not read an
/// empty run as a pass.
pub fn case_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return Err(LoadError::NotADirectory {
                path: dir.to_owned(),
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(LoadError::Missing {
                path: dir.to_owned(),
            });
        }
        Err(source) => {
            return Err(LoadError::Io {
                path: dir.to_owned(),
                source,
            });
        }
    }
    let mut walk = Walk::default();
    walk.dir(dir)?;
    if walk.files.is_empty() {
        return Err(LoadError::Empty {
            path: dir.to_owned(),
        });
    }
    Ok(walk.files)
}

/// What the walk has seen, by canonical path.
#[derive(Default)]
struct Walk {
    dirs: HashSet<PathBuf>,
    cases: HashSet<PathBuf>,
    files: Vec<PathBuf>,
}

impl Walk {
    fn dir(&mut self, dir: &Path) -> Result<(), LoadError> {
        let io = |source| LoadError::Io {
            path: dir.to_owned(),
            source,
        };
        if !self.dirs.insert(std::fs::canonicalize(dir).map_err(io)?) {
            return Ok(());
        }
        let mut entries = std::fs::read_dir(dir)
            .map_err(io)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(io)?;
        entries.sort();
        for path in entries {
            let is_case = path.extension().is_some_and(|e| e == "json");
            match std::fs::metadata(&path) {
                Ok(meta) if meta.is_dir() => self.dir(&path)?,
                // A case that cannot be read (a dangling link, say) is kept: running it
                // reports it as a failed case, with the reason.
                Ok(_) | Err(_) if is_case => {
                    let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
                    if self.cases.insert(key) {
                        self.files.push(path);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}
