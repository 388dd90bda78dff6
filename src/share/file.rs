//! The saved-execution file: written by `x`, read by `sagaview open`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::cli_json::{self, CliEvent};
use super::described::DescribedExecution;
use crate::asl::{Definition, load_definition, load_definition_value};
use crate::backend::ExecutionSummary;
use crate::history::{EventDetails, EventType, ExecutionStatus, HistoryEvent};

/// One execution, whole: what `x` writes.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedExecution {
    /// Its history, in id order.
    pub events: Vec<HistoryEvent>,
    /// What DescribeExecution says of it.
    pub execution: DescribedExecution,
    /// The definition it ran, as ASL text, when the backend has it.
    pub definition: Option<String>,
}

#[derive(Serialize)]
struct Written<'a> {
    events: Vec<CliEvent<'a>>,
    execution: &'a DescribedExecution,
    #[serde(skip_serializing_if = "Option::is_none")]
    definition: Option<&'a str>,
}

impl SharedExecution {
    /// The file's text, each part as the AWS CLI prints it.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        cli_json::to_string(&Written {
            events: self.events.iter().map(CliEvent::from).collect(),
            execution: &self.execution,
            definition: self.definition.as_deref(),
        })
    }
}

/// Why a file cannot be opened, said so the user can fix it.
#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    /// Not JSON at all.
    #[error("{source_name} is not JSON: {error}")]
    Json {
        /// The file (or `stdin`).
        source_name: String,
        /// Where and why.
        error: serde_json::Error,
    },
    /// JSON, but not a history.
    #[error(
        "{source_name} holds no execution history: expected {{\"events\": [...]}} (what `aws stepfunctions get-execution-history` prints, or a file saved with x)"
    )]
    NotAHistory {
        /// The file.
        source_name: String,
    },
    /// The history has no event.
    #[error("{source_name}: the history has no events")]
    NoEvents {
        /// The file.
        source_name: String,
    },
    /// One event cannot be read.
    #[error("{source_name}: event {position} of the history cannot be read: {error}")]
    Event {
        /// The file.
        source_name: String,
        /// 1-based position in the file.
        position: usize,
        /// Why.
        error: serde_json::Error,
    },
    /// Two events share an id.
    #[error("{source_name}: two events have id {id}")]
    DuplicateId {
        /// The file.
        source_name: String,
        /// The id.
        id: u64,
    },
    /// The `execution` member cannot be read.
    #[error("{source_name}: \"execution\" is not what describe-execution prints: {error}")]
    Execution {
        /// The file.
        source_name: String,
        /// Why.
        error: serde_json::Error,
    },
    /// A definition (the file's own or `--definition`) cannot be used.
    #[error("{source_name}: the definition cannot be read: {error}")]
    Definition {
        /// Where the definition came from.
        source_name: String,
        /// Why.
        error: String,
    },
}

/// A saved execution, ready to show.
#[derive(Debug, Clone)]
pub struct OpenedExecution {
    /// The history, in id order.
    pub events: Vec<HistoryEvent>,
    /// What DescribeExecution says (from the file, or worked out from the history).
    pub execution: DescribedExecution,
    /// The definition's text, when the file or `--definition` gave one.
    pub definition_text: Option<String>,
    /// The graph's definition: given, or built from the history.
    pub definition: Definition,
    /// Whether `definition` was built from the history.
    pub synthesised: bool,
}

impl OpenedExecution {
    /// Reads a saved execution (or a bare CLI history) from `text`; `source_name` names
    /// it in errors and, for a bare history, names the execution. `definition` (ASL
    /// text, with its own name for errors) overrides the file's.
    pub fn parse(
        text: &str,
        source_name: &str,
        definition: Option<(&str, &str)>,
    ) -> Result<Self, ShareError> {
        let value: Value = serde_json::from_str(text).map_err(|error| ShareError::Json {
            source_name: source_name.to_string(),
            error,
        })?;
        let (raw_events, raw_execution, raw_definition) = match &value {
            Value::Object(o) => match o.get("events") {
                Some(Value::Array(events)) => (events, o.get("execution"), o.get("definition")),
                _ => {
                    return Err(ShareError::NotAHistory {
                        source_name: source_name.to_string(),
                    });
                }
            },
            // `--query events` prints the bare list.
            Value::Array(events) => (events, None, None),
            _ => {
                return Err(ShareError::NotAHistory {
                    source_name: source_name.to_string(),
                });
            }
        };
        let events = read_events(raw_events, source_name)?;
        let execution = match raw_execution {
            Some(v) if !v.is_null() => {
                serde_json::from_value(v.clone()).map_err(|error| ShareError::Execution {
                    source_name: source_name.to_string(),
                    error,
                })?
            }
            _ => described_from_history(&events, source_name),
        };
        let file_definition = match raw_definition {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Object(_)) => raw_definition.map(Value::to_string),
            _ => None,
        };
        let (definition_text, definition_source) = match definition {
            Some((text, name)) => (Some(text.to_string()), name.to_string()),
            None => (file_definition, source_name.to_string()),
        };
        let (definition, synthesised) = match &definition_text {
            Some(text) => (
                load_definition(text).map_err(|e| ShareError::Definition {
                    source_name: definition_source,
                    error: e.to_string(),
                })?,
                false,
            ),
            None => {
                let asl = super::synth::asl_from_history(&events);
                let def = load_definition_value(&asl).map_err(|e| ShareError::Definition {
                    source_name: format!("{source_name} (the graph built from its history)"),
                    error: e.to_string(),
                })?;
                (def, true)
            }
        };
        Ok(Self {
            events,
            execution,
            definition_text,
            definition,
            synthesised,
        })
    }
}

fn read_events(raw: &[Value], source_name: &str) -> Result<Vec<HistoryEvent>, ShareError> {
    if raw.is_empty() {
        return Err(ShareError::NoEvents {
            source_name: source_name.to_string(),
        });
    }
    let mut events = Vec::with_capacity(raw.len());
    for (i, v) in raw.iter().enumerate() {
        let event: HistoryEvent =
            serde_json::from_value(v.clone()).map_err(|error| ShareError::Event {
                source_name: source_name.to_string(),
                position: i + 1,
                error,
            })?;
        events.push(event);
    }
    // `--reverse-order` prints the newest first.
    events.sort_by_key(|e| e.id);
    if let Some(w) = events.windows(2).find(|w| w[0].id == w[1].id) {
        return Err(ShareError::DuplicateId {
            source_name: source_name.to_string(),
            id: w[0].id,
        });
    }
    Ok(events)
}

/// What DescribeExecution would say, from the history alone (a bare CLI capture): the
/// execution is named after the file, since no event carries its ARN.
fn described_from_history(events: &[HistoryEvent], source_name: &str) -> DescribedExecution {
    let stem = Path::new(source_name)
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .unwrap_or("execution");
    let last = events.last();
    let status = match last.map(|e| e.event_type) {
        Some(EventType::ExecutionSucceeded) => ExecutionStatus::Succeeded,
        Some(EventType::ExecutionFailed) => ExecutionStatus::Failed,
        Some(EventType::ExecutionTimedOut) => ExecutionStatus::TimedOut,
        Some(EventType::ExecutionAborted) => ExecutionStatus::Aborted,
        _ => ExecutionStatus::Running,
    };
    let (mut output, mut error, mut cause) = (None, None, None);
    match last.and_then(|e| e.details.as_ref()) {
        Some(EventDetails::ExecutionSucceeded(d)) => output = Some(d.output.clone()),
        Some(
            EventDetails::ExecutionFailed(d)
            | EventDetails::ExecutionAborted(d)
            | EventDetails::ExecutionTimedOut(d),
        ) => {
            error = d.error.clone();
            cause = d.cause.clone();
        }
        _ => {}
    }
    let first = events.first().map(|e| e.timestamp).unwrap_or_default();
    let summary = ExecutionSummary {
        execution_arn: format!("opened:{stem}"),
        name: stem.to_string(),
        status,
        start_date: first,
        stop_date: status
            .is_terminal()
            .then(|| last.map(|e| e.timestamp))
            .flatten(),
        run_type: None,
        trip_id: None,
        error,
        cause,
        output,
        redrive: Default::default(),
    };
    DescribedExecution::from_summary(&summary, "", events)
}

/// Writes `text` to a new file in `dir` named after the execution (`NAME.json`, or
/// `NAME-2.json`... when that exists: a file already there is never replaced); returns
/// its path.
pub fn write_new(dir: &Path, execution_name: &str, text: &str) -> std::io::Result<PathBuf> {
    let stem: String = execution_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stem = stem.trim_start_matches('.');
    let stem = if stem.is_empty() { "execution" } else { stem };
    for n in 1..=1000 {
        let name = if n == 1 {
            format!("{stem}.json")
        } else {
            format!("{stem}-{n}.json")
        };
        let path = dir.join(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                let written = file
                    .write_all(text.as_bytes())
                    .and_then(|()| file.sync_all());
                if let Err(e) = written {
                    // A cut-off file would open as broken JSON later: none is better.
                    let _ = std::fs::remove_file(&path);
                    return Err(e);
                }
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("{stem}.json and a thousand numbered copies already exist"),
    ))
}
