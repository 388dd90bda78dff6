//! The random source behind the compensations' simulated failures.
//!
//! Injectable so tests and demos are deterministic while deployed functions stay random.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::sync::Mutex;

/// Yields uniformly distributed numbers in `[0, 1)`; a step fails when the roll is
/// below the failure rate, so rate 0 never fails and rate 1 always does.
pub trait Chance: Send + Sync {
    /// One roll in `[0, 1)`.
    fn roll(&self) -> f64;
}

/// The process's thread-local generator: what the deployed functions use.
#[derive(Debug, Default, Clone, Copy)]
pub struct ThreadChance;

impl Chance for ThreadChance {
    fn roll(&self) -> f64 {
        rand::rng().random::<f64>()
    }
}

/// A seeded generator, so a demo or a test replays the same failures.
#[derive(Debug)]
pub struct SeededChance(Mutex<StdRng>);

impl SeededChance {
    /// Seeds the sequence of rolls.
    pub fn new(seed: u64) -> Self {
        Self(Mutex::new(StdRng::seed_from_u64(seed)))
    }
}

impl Chance for SeededChance {
    fn roll(&self) -> f64 {
        // A poisoned lock only means another roll panicked; the generator is still valid.
        let mut rng = self.0.lock().unwrap_or_else(|e| e.into_inner());
        rng.random::<f64>()
    }
}

/// Always the same roll: pins a test to one side of the failure threshold.
#[derive(Debug, Clone, Copy)]
pub struct FixedChance(pub f64);

impl Chance for FixedChance {
    fn roll(&self) -> f64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_rolls_repeat_and_stay_in_range() {
        let a = SeededChance::new(7);
        let b = SeededChance::new(7);
        for _ in 0..100 {
            let (x, y) = (a.roll(), b.roll());
            assert_eq!(x, y);
            assert!((0.0..1.0).contains(&x));
        }
    }
}
