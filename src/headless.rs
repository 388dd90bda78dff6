//! `sagaview run`: one saga on the embedded backend, printed as a trace.
//!
//! For scripts, CI and people without a terminal UI: the same backend calls and the
//! same reducer and verdict as the TUI, written to stdout as text or JSON.

use crate::backend::{BackendError, ExecutionSummary, Launch, SagaBackend};
use crate::history::ExecutionStatus;
use crate::history::{EventType, HistoryEvent, failure_line};
use crate::view::graph::StateGraph;
use crate::view::reducer::ExecutionView;
use crate::view::verdict::{Verdict, VerdictLevel, judge};
use saga_lambdas::{AttrValue, Item};
use std::io::Write;

/// What one headless run produced: everything the printers need.
#[derive(Debug)]
pub struct RunReport {
    /// How the execution ended.
    pub summary: ExecutionSummary,
    /// Its whole history, in AWS's shape.
    pub events: Vec<HistoryEvent>,
    /// The trip's rows after the run.
    pub rows: Vec<Item>,
    /// Outcome compared with the table.
    pub verdict: Option<Verdict>,
}

impl RunReport {
    /// The process exit code: 0 for a successful booking, 1 for any other ending.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.summary.status != ExecutionStatus::Succeeded)
    }
}

/// Starts one saga, waits for it to end (polling like any viewer), and gathers the
/// history, the rows and the verdict.
pub async fn run_once(
    backend: &dyn SagaBackend,
    launch: Launch,
    poll: std::time::Duration,
) -> Result<RunReport, BackendError> {
    let trip_id = launch.trip_id.clone();
    let arn = backend.start(launch).await?;
    follow(backend, &arn, &trip_id, poll).await
}

/// Redrives an ended execution, waits for it to end again, and gathers its whole
/// history (the first attempt's included), the rows and the verdict, as
/// [`run_once`] does.
pub async fn redrive_once(
    backend: &dyn SagaBackend,
    execution_arn: &str,
    poll: std::time::Duration,
) -> Result<RunReport, BackendError> {
    let before = backend.describe(execution_arn).await?;
    let trip_id = before.trip_id.clone().ok_or_else(|| {
        BackendError::Failed(format!(
            "{execution_arn} has no trip_id in its input: it is not a saga of this stack"
        ))
    })?;
    backend.redrive(execution_arn).await?;
    follow(backend, execution_arn, &trip_id, poll).await
}

/// Polls an execution until it has ended, like any viewer.
async fn follow(
    backend: &dyn SagaBackend,
    arn: &str,
    trip_id: &str,
    poll: std::time::Duration,
) -> Result<RunReport, BackendError> {
    let arn = arn.to_owned();
    // The definition this execution runs (a deployed state machine may change later).
    let definition = backend.definition(Some(&arn)).await?;
    let graph = StateGraph::from_definition(&definition);
    let mut view = ExecutionView::new(Some(&definition));
    let mut events = Vec::new();
    loop {
        // Once the store has failed the execution's end is never recorded: waiting
        // for it would never end.
        if let Some(fault) = backend.store_fault() {
            return Err(BackendError::StoreFault(fault));
        }
        let new = backend.history_since(&arn, view.last_event_id()).await?;
        view.apply(&new);
        events.extend(new);
        let summary = backend.describe(&arn).await?;
        if summary.status.is_terminal() {
            // The terminal event and the status are stored together; read any remainder.
            let rest = backend.history_since(&arn, view.last_event_id()).await?;
            view.apply(&rest);
            events.extend(rest);
            let rows = backend.rows(trip_id).await?;
            let verdict = judge(&view, &graph, &rows);
            return Ok(RunReport {
                summary,
                events,
                rows,
                verdict,
            });
        }
        tokio::time::sleep(poll).await;
    }
}

/// The `--json` document: `{executionArn, status, events, rows, verdict}`.
pub fn to_json(report: &RunReport) -> serde_json::Value {
    serde_json::json!({
        "executionArn": report.summary.execution_arn,
        "status": report.summary.status.as_str(),
        "error": report.summary.error,
        "cause": report.summary.cause,
        "events": report.events,
        "rows": report.rows,
        "verdict": report.verdict.as_ref().map(|v| serde_json::json!({
            "level": match v.level {
                VerdictLevel::Ok => "ok",
                VerdictLevel::Warning => "warning",
                VerdictLevel::Error => "error",
            },
            "text": v.text,
            "orphans": v.orphans.iter().map(|o| serde_json::json!({"sk": o.sk, "type": o.kind})).collect::<Vec<_>>(),
        })),
    })
}

/// Writes the human trace: events with relative times, the outcome, the rows, the verdict.
pub fn write_trace(out: &mut dyn Write, report: &RunReport) -> std::io::Result<()> {
    // The reducer attributes each event to its state (nested Parallel and Map states
    // included) and counts a task's attempts, as the UI's history panel shows them.
    let mut view = ExecutionView::new(None);
    view.apply(&report.events);
    let start = report.events.first().map(|e| e.timestamp);
    writeln!(out, "execution {}", report.summary.execution_arn)?;
    for (e, note) in view.events.iter().zip(&view.notes) {
        let rel = start
            .map(|s| (e.timestamp - s).num_milliseconds() as f64 / 1000.0)
            .unwrap_or(0.0);
        let state = note.state.as_deref().unwrap_or("");
        let note = match (e.event_type, note.attempt) {
            (EventType::TaskScheduled | EventType::LambdaFunctionScheduled, Some(n)) if n > 1 => {
                format!("retry {}", n - 1)
            }
            _ => String::new(),
        };
        let detail = e.failure_text().unwrap_or_default();
        let extra = [note, detail]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("  ");
        let line = format!(
            "  {:>+9.3}s  {:<26} {:<36} {}",
            rel,
            e.event_type.as_str(),
            state,
            extra
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    let s = &report.summary;
    write!(out, "status: {}", s.status.as_str())?;
    if s.status != ExecutionStatus::Succeeded {
        let text = failure_line(s.error.as_deref(), s.cause.as_deref());
        if !text.is_empty() {
            write!(out, " ({text})")?;
        }
    }
    writeln!(out)?;
    let trip = s.trip_id.as_deref().unwrap_or("?");
    if report.rows.is_empty() {
        writeln!(out, "rows of trip {trip}: none")?;
    } else {
        writeln!(out, "rows of trip {trip}:")?;
        for row in &report.rows {
            writeln!(out, "  {}", row_line(row))?;
        }
    }
    if let Some(v) = &report.verdict {
        let tag = match v.level {
            VerdictLevel::Ok => "ok",
            VerdictLevel::Warning => "warning",
            VerdictLevel::Error => "ERROR",
        };
        writeln!(out, "verdict: {tag}: {}", v.text)?;
    }
    Ok(())
}

fn row_line(row: &Item) -> String {
    let s = |k: &str| match row.get(k) {
        Some(AttrValue::S(v)) => v.clone(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    };
    let key_fields = match s("type").as_str() {
        "Hotel" => format!("{} {} → {}", s("hotel"), s("check_in"), s("check_out")),
        "Flight" => format!("{} → {} {}", s("depart"), s("arrive"), s("depart_at")),
        "Payment" => format!("{} {}", s("amount"), s("currency")),
        _ => String::new(),
    };
    format!(
        "{:<26} {:<8} {:<10} {}",
        s("sk"),
        s("type"),
        s("transaction_status"),
        key_fields
    )
}
