//! The loop's side of a crowd of sagas (`L`): runs it in a task of its own and sends
//! how it stands a few times a second, so the panel counts live.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use super::msg::{LoadUpdate, Msg};
use crate::backend::{BackendKind, SagaBackend};
use crate::load::{LoadPlan, run_load};

/// How often the panel hears from a running crowd.
pub const LOAD_UPDATE: Duration = Duration::from_millis(250);

/// Runs `plan` on `backend`, reporting to the loop as load `id`.
pub async fn run(backend: Arc<dyn SagaBackend>, id: u64, plan: LoadPlan, tx: UnboundedSender<Msg>) {
    // AWS is asked whether a saga has ended at the pace the UI polls it.
    let poll = match backend.info().kind {
        BackendKind::Aws { .. } => Duration::from_secs(1),
        _ => Duration::from_millis(250),
    };
    tracing::info!(count = plan.count, concurrency = plan.concurrency, mix = %plan.mix, "load");
    let progress = |crowd: &crate::view::crowd::Crowd| {
        let _ = tx.send(Msg::Load {
            id,
            update: Ok(LoadUpdate {
                summary: crowd.summary(),
                done: false,
            }),
        });
    };
    let update = run_load(backend.as_ref(), &plan, poll, LOAD_UPDATE, progress)
        .await
        .map(|crowd| LoadUpdate {
            summary: crowd.summary(),
            done: true,
        });
    let _ = tx.send(Msg::Load { id, update });
}
