//! How often a crowd should orphan rows, read from the state machine itself.
//!
//! Each run type fails one forward step on purpose (or none); that state's `Catch`
//! routes to a compensation, and the compensations run one after another until the
//! Fail state. Each compensation attempt fails with the cancel failure rate `r`, and
//! the first `Retry` entry matching the error it raises grants `MaxAttempts` more
//! attempts: a compensation gives up with probability `r^(1 + MaxAttempts)`. A give-up
//! fails the execution there (the compensations have no `Catch`), leaving every row
//! the remaining compensations would have deleted; there is one as soon as a forward
//! step before the failing one booked something. So a run type orphans with
//! probability `1 − Π(1 − r^attempts)` over its compensations when it booked anything,
//! and never otherwise. Reading this from the definition keeps the prediction honest
//! when the retry policy is changed.

use std::collections::HashMap;

use saga_lambdas::{RunType, SagaError, Step};

use crate::asl::Definition;
use crate::asl::model::{Retrier, State, StateKind, TaskResource, Transition};
use crate::asl::template::Template;

/// Orphan probabilities per run type, for one cancel failure rate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExpectedOrphans {
    /// `None`: the definition does not say (a run type whose failing state or
    /// compensations cannot be found in it).
    per_run_type: HashMap<RunType, Option<f64>>,
}

/// The path one run type takes, as the definition routes it.
#[derive(Debug, Clone, PartialEq)]
pub struct CompensationPath {
    /// Whether a forward step before the failing one has booked a row.
    pub booked: bool,
    /// The compensations run, in order, with the attempts each gets.
    pub compensations: Vec<(String, u32)>,
}

impl ExpectedOrphans {
    /// The probabilities for every run type at `rate`.
    pub fn from_definition(definition: &Definition, rate: f64) -> Self {
        let per_run_type = RunType::ALL
            .iter()
            .map(|&r| {
                let p = compensation_path(definition, r).map(|path| path.orphan_chance(rate));
                (r, p)
            })
            .collect();
        Self { per_run_type }
    }

    /// The chance that one saga of `run_type` leaves orphaned rows.
    pub fn of(&self, run_type: RunType) -> Option<f64> {
        self.per_run_type.get(&run_type).copied().flatten()
    }

    /// The expected share of orphaned sagas among `counts` (run type, sagas).
    pub fn share(&self, counts: impl IntoIterator<Item = (RunType, usize)>) -> Option<f64> {
        let (mut orphans, mut total) = (0.0, 0usize);
        for (run_type, n) in counts {
            if n == 0 {
                continue;
            }
            orphans += self.of(run_type)? * n as f64;
            total += n;
        }
        (total > 0).then(|| orphans / total as f64)
    }
}

impl CompensationPath {
    /// The chance this path orphans rows when each compensation attempt fails with
    /// probability `rate`.
    pub fn orphan_chance(&self, rate: f64) -> f64 {
        if !self.booked {
            return 0.0;
        }
        let all_complete: f64 = self
            .compensations
            .iter()
            .map(|&(_, attempts)| 1.0 - rate.powi(i32::try_from(attempts).unwrap_or(i32::MAX)))
            .product();
        1.0 - all_complete
    }
}

/// The error a compensation raises when it fails at random.
fn compensation_error() -> &'static str {
    SagaError::InternalServerError {
        step: "",
        rate: 0.0,
    }
    .error_type()
}

/// The path `run_type` takes through `definition`; `None` where the definition does
/// not name the state that fails, or a compensation is not a Lambda task.
pub fn compensation_path(definition: &Definition, run_type: RunType) -> Option<CompensationPath> {
    let Some((step, error)) = saga_lambdas::handlers::trigger(run_type) else {
        return Some(CompensationPath {
            booked: false,
            compensations: Vec::new(),
        });
    };
    // The forward path from the start up to the failing state.
    let mut at = definition.start_at;
    let mut before = 0usize;
    let failing = loop {
        let state = definition.states.get(at)?;
        let StateKind::Task(task) = &state.kind else {
            return None;
        };
        if step_of(state) == Some(step) {
            break task;
        }
        before += 1;
        at = match task.transition {
            Transition::Next(next) => next,
            Transition::End => return None,
        };
        if before > definition.states.len() {
            return None;
        }
    };
    let catcher = failing
        .catch
        .iter()
        .find(|c| matches_error(&c.error_equals, error))?;
    let mut compensations = Vec::new();
    let mut at = catcher.next;
    while let Some(state) = definition.states.get(at) {
        let StateKind::Task(task) = &state.kind else {
            break;
        };
        step_of(state).filter(|s| s.is_compensation())?;
        compensations.push((state.name.clone(), attempts(&task.retry)));
        at = match task.transition {
            Transition::Next(next) => next,
            Transition::End => break,
        };
        if compensations.len() > definition.states.len() {
            return None;
        }
    }
    Some(CompensationPath {
        booked: before > 0,
        compensations,
    })
}

/// Attempts a compensation gets for its random failure: one, plus what the first
/// matching retrier grants.
fn attempts(retry: &[Retrier]) -> u32 {
    let error = compensation_error();
    retry
        .iter()
        .find(|r| matches_error(&r.error_equals, error))
        .map_or(1, |r| 1 + r.max_attempts)
}

/// Whether `ErrorEquals` catches a task's error (`States.ALL`, or the name itself).
fn matches_error(error_equals: &[String], error: &str) -> bool {
    error_equals.iter().any(|e| e == "States.ALL" || e == error)
}

/// The saga step a Task state invokes: by the function named in its parameters (the
/// embedded runtime's and moto's names end with the step's, a deployed stack's carry
/// its template placeholder's stem), or its resource ARN.
fn step_of(state: &State) -> Option<Step> {
    let StateKind::Task(task) = &state.kind else {
        return None;
    };
    let function = match &task.resource {
        TaskResource::LambdaFunction { function, .. } => function.clone(),
        TaskResource::LambdaInvoke => function_parameter(task.io.parameters.as_ref()?)?,
    };
    let name = function
        .rsplit_once(":function:")
        .map_or(function.as_str(), |(_, n)| n);
    let name = name.split(':').next().unwrap_or(name);
    Step::ALL.into_iter().find(|s| {
        let stem = s.arn_placeholder().trim_end_matches("Arn");
        name == s.function_name()
            || name.ends_with(&["-", s.function_name()].concat())
            || function.contains(stem)
    })
}

/// The constant `FunctionName` of a `lambda:invoke` task's parameters.
fn function_parameter(parameters: &Template) -> Option<String> {
    match parameters {
        Template::Constant(value) => value
            .get("FunctionName")
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        Template::Object(members) => members.iter().find_map(|(k, t)| match (k.as_str(), t) {
            ("FunctionName", Template::Constant(v)) => v.as_str().map(str::to_owned),
            _ => None,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::saga_definition::{SAGA_ASL, saga_definition};
    use crate::engine::EngineConfig;

    fn seed() -> Definition {
        saga_definition(&EngineConfig::default()).unwrap()
    }

    #[test]
    fn each_run_type_routes_to_its_compensations_with_their_attempts() {
        let def = seed();
        let path = |r| compensation_path(&def, r).unwrap();
        assert_eq!(
            path(RunType::Success),
            CompensationPath {
                booked: false,
                compensations: vec![]
            }
        );
        let hotel = path(RunType::FailHotelReservation);
        assert!(!hotel.booked);
        assert_eq!(
            hotel.compensations,
            vec![("CancelHotelReservation".to_owned(), 4)]
        );
        let flight = path(RunType::FailFlightsReservation);
        assert!(flight.booked);
        assert_eq!(flight.compensations.len(), 2);
        for r in [
            RunType::FailPayment,
            RunType::FailHotelConfirmation,
            RunType::FailFlightsConfirmation,
        ] {
            let p = path(r);
            assert!(p.booked, "{r}");
            let names: Vec<&str> = p.compensations.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(
                names,
                [
                    "RefundPayment",
                    "CancelFlightReservation",
                    "CancelHotelReservation"
                ],
                "{r}"
            );
            assert!(p.compensations.iter().all(|&(_, a)| a == 4), "{r}");
        }
    }

    #[test]
    fn rate_zero_orphans_nothing_and_rate_one_orphans_every_run_that_booked() {
        let def = seed();
        let none = ExpectedOrphans::from_definition(&def, 0.0);
        let all = ExpectedOrphans::from_definition(&def, 1.0);
        for r in RunType::ALL {
            assert_eq!(none.of(r), Some(0.0), "{r}");
        }
        assert_eq!(all.of(RunType::Success), Some(0.0));
        // Nothing was booked before the hotel reservation failed: nothing to orphan.
        assert_eq!(all.of(RunType::FailHotelReservation), Some(0.0));
        for r in &RunType::ALL[2..] {
            assert_eq!(all.of(*r), Some(1.0), "{r}");
        }
    }

    #[test]
    fn a_partial_rate_compounds_over_the_compensations_attempts() {
        let expected = ExpectedOrphans::from_definition(&seed(), 0.5);
        let give_up = 0.5f64.powi(4);
        let three = 1.0 - (1.0 - give_up).powi(3);
        let two = 1.0 - (1.0 - give_up).powi(2);
        assert!((expected.of(RunType::FailPayment).unwrap() - three).abs() < 1e-12);
        assert!((expected.of(RunType::FailFlightsReservation).unwrap() - two).abs() < 1e-12);
        let share = expected
            .share([(RunType::Success, 1), (RunType::FailPayment, 1)])
            .unwrap();
        assert!((share - three / 2.0).abs() < 1e-12);
        assert_eq!(expected.share([]), None);
    }

    #[test]
    fn the_retry_policy_is_read_from_the_definition() {
        // One retry fewer on every compensation: the prediction follows.
        let text = SAGA_ASL.replace("\"MaxAttempts\": 3", "\"MaxAttempts\": 2");
        let config = EngineConfig::default();
        let text = crate::backend::saga_definition::substitute(&text, &config);
        let def = crate::asl::load_definition(&text).unwrap();
        let path = compensation_path(&def, RunType::FailPayment).unwrap();
        assert!(path.compensations.iter().all(|&(_, a)| a == 3));
        // The unsubstituted file (a deployed stack's names) routes the same way.
        let raw = crate::asl::load_definition(SAGA_ASL).unwrap();
        assert_eq!(
            compensation_path(&raw, RunType::FailPayment)
                .unwrap()
                .compensations
                .len(),
            3
        );
    }
}
