//! How long the embedded runtime's steps take: the gap before each history event and
//! the time each task invocation runs.
//!
//! Pacing only decides *when* things complete, never what happens: the same
//! definition, the same handlers and the same events, spaced on the runtime's
//! [`Clock`](super::Clock). Every event waits its gap on the clock before it is
//! recorded, so a paused clock holds an execution between two events and a step
//! advances it by exactly one.
//!
//! | pace      | transition (state entered) | other events | task invocation                               |
//! |-----------|----------------------------|--------------|-----------------------------------------------|
//! | `instant` | 1 ms                       | none         | none                                          |
//! | `aws`     | 15–40 ms                   | 2–40 ms      | 20–60 ms warm, plus 150–300 ms cold start     |
//! | `demo`    | 300–450 ms                 | 100–250 ms   | 1.2–1.8 s; 0.5–0.8 s once the flow is recovering |
//!
//! Ranges are uniform jitter drawn from each execution's own seeded generator, so a
//! run with `--seed` replays with the same timing. `aws` gives a function a cold start
//! whenever no idle instance of it is warm (its first invocation, and each concurrent
//! one beyond the instances already running); the README says where the figures come
//! from. Under `instant` every transition still costs [`INSTANT_TRANSITION`] of virtual
//! time, so an execution that loops through states moves the clock.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::RngExt;
use rand::rngs::StdRng;

use crate::history::EventType;

/// What every state transition costs on virtual time: small enough to leave
/// histories readable, large enough that a loop of states advances the clock (and an
/// execution's `TimeoutSeconds` can run out).
pub const INSTANT_TRANSITION: Duration = Duration::from_millis(1);

/// Which timing the embedded runtime follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pace {
    /// Virtual time: tasks take no time, waits and backoff cost nothing.
    #[default]
    Instant,
    /// Modelled on Step Functions' and Lambda's real latencies.
    Aws,
    /// Slow enough to narrate in front of a room.
    Demo,
}

impl Pace {
    /// Every pace, for help texts.
    pub const ALL: [Pace; 3] = [Pace::Demo, Pace::Aws, Pace::Instant];

    /// The flag value.
    pub fn as_str(self) -> &'static str {
        match self {
            Pace::Instant => "instant",
            Pace::Aws => "aws",
            Pace::Demo => "demo",
        }
    }

    /// Whether this pace runs on virtual time.
    pub fn is_virtual(self) -> bool {
        self == Pace::Instant
    }
}

impl std::fmt::Display for Pace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Pace {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pace::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unknown pace {s:?}; valid paces: demo, aws, instant"))
    }
}

/// Milliseconds, as a range to draw from.
type Ms = Range<u64>;

/// One pace's figures.
struct Figures {
    transition: Ms,
    scheduled: Ms,
    started: Ms,
    exited: Ms,
    other: Ms,
    task: Ms,
    recovering_task: Ms,
    cold_start: Ms,
}

const AWS: Figures = Figures {
    transition: 15..40,
    scheduled: 2..8,
    started: 20..40,
    exited: 2..6,
    other: 5..20,
    task: 20..60,
    recovering_task: 20..60,
    cold_start: 150..300,
};

const DEMO: Figures = Figures {
    transition: 300..450,
    scheduled: 100..150,
    started: 150..250,
    exited: 100..150,
    other: 100..200,
    task: 1200..1800,
    recovering_task: 500..800,
    cold_start: 0..0,
};

fn draw(range: &Ms, rng: &mut StdRng) -> Duration {
    let ms = if range.is_empty() {
        range.start
    } else {
        rng.random_range(range.clone())
    };
    Duration::from_millis(ms)
}

/// One task invocation's time: `before` the handler runs (start-up, the request on
/// its way) and `after` it (the response on its way back). Holds a warm instance of
/// the function until dropped.
pub struct Invocation {
    /// Time before the handler runs.
    pub before: Duration,
    /// Time after the handler returned.
    pub after: Duration,
    _instance: Option<WarmInstance>,
}

/// An instance of a function, busy with one invocation; idle again when dropped.
struct WarmInstance {
    idle: Arc<Mutex<HashMap<String, usize>>>,
    function: String,
}

impl Drop for WarmInstance {
    fn drop(&mut self) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        *idle.entry(std::mem::take(&mut self.function)).or_default() += 1;
    }
}

/// A pace, with the functions' warm instances it keeps track of.
#[derive(Clone)]
pub struct Pacer {
    pace: Pace,
    /// Idle warm instances per function (`aws`).
    idle: Arc<Mutex<HashMap<String, usize>>>,
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacer").field("pace", &self.pace).finish()
    }
}

impl Default for Pacer {
    fn default() -> Self {
        Self::new(Pace::Instant)
    }
}

impl Pacer {
    /// A pacer for `pace`, with every function cold.
    pub fn new(pace: Pace) -> Self {
        Self {
            pace,
            idle: Arc::default(),
        }
    }

    /// The pace followed.
    pub fn pace(&self) -> Pace {
        self.pace
    }

    fn figures(&self) -> Option<&'static Figures> {
        match self.pace {
            Pace::Instant => None,
            Pace::Aws => Some(&AWS),
            Pace::Demo => Some(&DEMO),
        }
    }

    /// The time between the previous event and one of type `ty`.
    pub fn before_event(&self, ty: EventType, rng: &mut StdRng) -> Duration {
        let Some(f) = self.figures() else {
            return if ty.is_state_entered() {
                INSTANT_TRANSITION
            } else {
                Duration::ZERO
            };
        };
        use EventType as T;
        let range = match ty {
            T::ExecutionStarted
            | T::TaskSucceeded
            | T::TaskFailed
            | T::TaskTimedOut
            | T::TaskSubmitted
            | T::LambdaFunctionSucceeded
            | T::LambdaFunctionFailed
            | T::LambdaFunctionTimedOut => return Duration::ZERO,
            T::TaskScheduled | T::LambdaFunctionScheduled => &f.scheduled,
            T::TaskStarted | T::LambdaFunctionStarted => &f.started,
            t if t.is_state_entered() => &f.transition,
            t if t.is_state_exited() => &f.exited,
            _ => &f.other,
        };
        draw(range, rng)
    }

    /// The time one invocation of `function` takes; `recovering` once the execution
    /// has caught an error (its compensations run quicker under `demo`).
    pub fn invocation(&self, function: &str, recovering: bool, rng: &mut StdRng) -> Invocation {
        let Some(f) = self.figures() else {
            return Invocation {
                before: Duration::ZERO,
                after: Duration::ZERO,
                _instance: None,
            };
        };
        let cold = {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            match idle.get_mut(function) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            }
        };
        let run = draw(
            if recovering {
                &f.recovering_task
            } else {
                &f.task
            },
            rng,
        );
        let start_up = if cold {
            draw(&f.cold_start, rng)
        } else {
            Duration::ZERO
        };
        // The handler does its work a little over half way through (a row written
        // while the state still shows running), then the response travels back.
        let before = start_up + run.mul_f64(0.6);
        Invocation {
            before,
            after: run - run.mul_f64(0.6),
            _instance: Some(WarmInstance {
                idle: self.idle.clone(),
                function: function.to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn instant_costs_only_transitions() {
        let p = Pacer::new(Pace::Instant);
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(
            p.before_event(EventType::TaskStateEntered, &mut rng),
            INSTANT_TRANSITION
        );
        assert_eq!(
            p.before_event(EventType::TaskScheduled, &mut rng),
            Duration::ZERO
        );
        let i = p.invocation("f", false, &mut rng);
        assert_eq!((i.before, i.after), (Duration::ZERO, Duration::ZERO));
    }

    #[test]
    fn aws_starts_cold_once_per_concurrent_instance() {
        let p = Pacer::new(Pace::Aws);
        let mut rng = StdRng::seed_from_u64(1);
        let first = p.invocation("f", false, &mut rng);
        // A second invocation while the first runs needs an instance of its own.
        let second = p.invocation("f", false, &mut rng);
        assert!(first.before >= Duration::from_millis(150));
        assert!(second.before >= Duration::from_millis(150));
        drop(first);
        drop(second);
        let warm = p.invocation("f", false, &mut rng);
        assert!(warm.before < Duration::from_millis(60), "{:?}", warm.before);
        let other = p.invocation("g", false, &mut rng);
        assert!(other.before >= Duration::from_millis(150));
    }

    #[test]
    fn demo_is_narratable_and_recovery_is_quicker() {
        let p = Pacer::new(Pace::Demo);
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..50 {
            let forward = p.invocation("f", false, &mut rng);
            let total = forward.before + forward.after;
            assert!((1200..1800).contains(&(total.as_millis() as u64)));
            let back = p.invocation("f", true, &mut rng);
            assert!(back.before + back.after < Duration::from_millis(800));
        }
        let entered = p.before_event(EventType::TaskStateEntered, &mut rng);
        assert!(entered >= Duration::from_millis(300));
    }

    #[test]
    fn the_same_seed_gives_the_same_timing() {
        let times = |seed| {
            let p = Pacer::new(Pace::Demo);
            let mut rng = StdRng::seed_from_u64(seed);
            (0..10)
                .map(|_| p.invocation("f", false, &mut rng).before)
                .collect::<Vec<_>>()
        };
        assert_eq!(times(3), times(3));
        assert_ne!(times(3), times(4));
    }

    #[test]
    fn pace_names_round_trip() {
        for p in Pace::ALL {
            assert_eq!(p.as_str().parse::<Pace>(), Ok(p));
        }
        assert!("fast".parse::<Pace>().is_err());
    }
}
