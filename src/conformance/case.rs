//! The case file format of the conformance pack, and loading a directory of cases.

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

/// Why the case directory could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
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

/// Loads every `*.json` case below `dir` (recursively), sorted by id.
pub fn load_cases(dir: &Path) -> Result<Vec<Case>, LoadError> {
    let mut files = Vec::new();
    collect(dir, &mut files)?;
    let mut cases = files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
                path: path.clone(),
                source,
            })?;
            serde_json::from_str::<Case>(&text).map_err(|e| LoadError::Format {
                path: path.clone(),
                message: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(cases)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let io = |source| LoadError::Io {
        path: dir.to_owned(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}
