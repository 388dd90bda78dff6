//! Runs a crowd of sagas on any backend and sums them up as they end: what
//! `sagaview load` prints and the UI's load panel shows.
//!
//! Each saga is started, followed to its end, and judged on its trip's rows with the
//! same verdict a single run gets; at most `concurrency` run at once. Against AWS the
//! backend's own quota machinery paces the StartExecution calls.

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use saga_lambdas::RunType;

use crate::backend::{BackendError, Launch, SagaBackend, random_trip_id};
use crate::view::crowd::{Crowd, Mix};
use crate::view::graph::StateGraph;
use crate::view::reducer::ExecutionView;
use crate::view::verdict::{Verdict, judge};

/// Above this many sagas a load against AWS asks first: each is a billed execution.
pub const AWS_CONFIRM_ABOVE: usize = 100;

/// What a load runs.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadPlan {
    /// How many sagas.
    pub count: usize,
    /// How many run at once.
    pub concurrency: usize,
    /// Which run types, in which proportions.
    pub mix: Mix,
    /// The compensations' failure rate each saga's input carries.
    pub cancel_failure_rate: f64,
}

/// One saga, ended and judged.
struct Ended {
    run_type: RunType,
    view: ExecutionView,
    verdict: Option<Verdict>,
}

/// Runs `plan` on `backend`, calling `progress` with the crowd every `every` and once
/// at the end; `poll` is how often a backend that must be polled is asked whether a
/// saga has ended. A saga that cannot be started or followed is counted as not run
/// (the crowd keeps the first reason); a store that fails ends the load with that error.
pub async fn run_load(
    backend: &dyn SagaBackend,
    plan: &LoadPlan,
    poll: Duration,
    every: Duration,
    mut progress: impl FnMut(&Crowd),
) -> Result<Crowd, BackendError> {
    // The compensations read the live rate before their input's: a crowd sets it to its
    // own, or a rate left by an earlier `c` would make the expected orphan rate wrong.
    backend
        .set_cancel_failure_rate(plan.cancel_failure_rate)
        .await
        .map_err(|e| {
            BackendError::Failed(format!(
                "the crowd's failure rate {} could not be set live, so its expected orphan \
                 rate would not hold: {e}",
                plan.cancel_failure_rate
            ))
        })?;
    let definition = backend.definition(None).await?;
    let graph = StateGraph::from_definition(&definition);
    let mut crowd = Crowd::new(
        &definition,
        plan.count,
        plan.mix.clone(),
        plan.cancel_failure_rate,
    );
    let run_types = plan.mix.deal(plan.count);
    let mut next = run_types.into_iter();
    let mut running = FuturesUnordered::new();
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let follow = |run_type: RunType| {
        let (definition, graph) = (&definition, &graph);
        async move {
            let launch = Launch {
                run_type,
                trip_id: random_trip_id(),
                cancel_failure_rate: plan.cancel_failure_rate,
            };
            let trip_id = launch.trip_id.clone();
            let arn = backend.start(launch).await?;
            backend.wait_ended(&arn, poll).await?;
            let events = backend.history_since(&arn, 0).await?;
            let mut view = ExecutionView::new(Some(definition));
            view.apply(&events);
            let rows = backend.rows(&trip_id).await?;
            let verdict = judge(&view, graph, &rows);
            Ok::<_, BackendError>(Ended {
                run_type,
                view,
                verdict,
            })
        }
    };
    loop {
        while running.len() < plan.concurrency.max(1) {
            let Some(run_type) = next.next() else {
                break;
            };
            crowd.started();
            running.push(follow(run_type));
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            ended = running.next() => match ended {
                Some(Ok(e)) => crowd.record(e.run_type, &e.view, e.verdict.as_ref()),
                Some(Err(BackendError::StoreFault(fault))) => {
                    return Err(BackendError::StoreFault(fault));
                }
                Some(Err(e)) => crowd.not_run(&e.to_string()),
                None => {}
            },
            _ = ticker.tick() => progress(&crowd),
        }
    }
    progress(&crowd);
    Ok(crowd)
}
