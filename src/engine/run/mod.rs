//! The interpreter: runs a definition state by state and writes the history.
//!
//! * [`execution`]: one running execution, its events, its start and its end;
//! * [`flow`]: the visit of each state in turn (enter, run, catch, exit, transition);
//! * [`states`]: what Pass, Choice, Wait, Succeed and Fail states do;
//!   [`task`] (with [`lambda_task`], [`invoke`], [`callback`], [`task_result`]) what a
//!   Task does, and [`branches`] what Parallel and Map states do;
//! * [`state_data`]: a state's document and its text, written once and handed on.

mod branches;
mod callback;
mod execution;
mod flow;
mod invoke;
mod lambda_task;
mod output_text;
mod state;
mod state_data;
mod states;
mod task;
mod task_result;

pub(crate) use execution::{Begin, Run, expiry};
pub(crate) use state_data::StateData;
