//! The embedded backend's wall clock, whose demo speed can change while executions run.

use crate::engine::{BoxFuture, Clock};
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Real time, with waits divided by a speed the presenter can change live (`+`/`-`).
#[derive(Debug)]
pub struct DemoClock {
    speed_bits: AtomicU64,
}

impl DemoClock {
    /// Slowest and fastest speeds accepted; outside that range a demo stops being watchable.
    pub const SPEED_RANGE: (f64, f64) = (0.1, 100.0);

    /// A clock running `speed` times faster than the definition says.
    pub fn new(speed: f64) -> Self {
        let clock = Self {
            speed_bits: AtomicU64::new(1f64.to_bits()),
        };
        clock.set_speed(speed);
        clock
    }

    /// Changes the speed for waits that start from now on.
    pub fn set_speed(&self, speed: f64) {
        let (lo, hi) = Self::SPEED_RANGE;
        let speed = if speed.is_finite() {
            speed.clamp(lo, hi)
        } else {
            1.0
        };
        self.speed_bits.store(speed.to_bits(), Ordering::Relaxed);
    }

    /// The current speed.
    pub fn speed(&self) -> f64 {
        f64::from_bits(self.speed_bits.load(Ordering::Relaxed))
    }
}

impl Clock for DemoClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration.div_f64(self.speed())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_speed_is_clamped_and_changeable() {
        let c = DemoClock::new(1000.0);
        assert_eq!(c.speed(), 100.0);
        c.set_speed(2.0);
        assert_eq!(c.speed(), 2.0);
        c.set_speed(f64::NAN);
        assert_eq!(c.speed(), 1.0);
    }
}
