//! Time as the engine sees it: a real clock (optionally sped up) or a virtual
//! clock for tests, where waiting costs no real time.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// A boxed, sendable future (the engine's traits return these to stay object safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Source of "now" and of delays (Wait states, retry backoff, timeouts).
pub trait Clock: Send + Sync {
    /// The current time, used for history timestamps and `$$` times.
    fn now(&self) -> DateTime<Utc>;
    /// Waits for `duration` of *execution* time.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// Wall-clock time; waits are divided by `speed` (2.0 = twice as fast) so demos move along.
#[derive(Debug, Clone)]
pub struct RealClock {
    speed: f64,
}

impl RealClock {
    /// A clock whose waits are `1 / speed` as long as the definition asks (speed must be > 0).
    pub fn new(speed: f64) -> Self {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        Self { speed }
    }
}

impl Default for RealClock {
    fn default() -> Self {
        Self::new(1.0)
    }
}

impl Clock for RealClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        let scaled = duration.div_f64(self.speed);
        Box::pin(tokio::time::sleep(scaled))
    }
}

/// Virtual time for tests: starts at a fixed instant and only moves when the
/// tokio clock does.  Run it on a runtime with paused time
/// (`#[tokio::test(start_paused = true)]` or `Builder::start_paused(true)`):
/// tokio then jumps straight to the next timer whenever every task is idle,
/// so a 60 s Wait completes instantly and deterministically, and concurrent
/// timers (task timeout vs. a slow function) still fire in the right order.
#[derive(Debug, Clone)]
pub struct VirtualClock {
    origin_wall: DateTime<Utc>,
    origin: tokio::time::Instant,
}

impl VirtualClock {
    /// A virtual clock reading `start` now.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            origin_wall: start,
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = tokio::time::Instant::now().saturating_duration_since(self.origin);
        self.origin_wall + chrono::Duration::from_std(elapsed).unwrap_or_default()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn virtual_sleep_advances_virtual_time_only() {
        let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let clock = VirtualClock::new(start);
        let real = std::time::Instant::now();
        clock.sleep(Duration::from_secs(3600)).await;
        assert!(real.elapsed() < Duration::from_secs(5));
        assert_eq!((clock.now() - start).num_seconds(), 3600);
    }

    #[tokio::test(start_paused = true)]
    async fn real_clock_scales_waits_by_speed() {
        let clock = RealClock::new(4.0);
        let before = tokio::time::Instant::now();
        clock.sleep(Duration::from_secs(8)).await;
        assert_eq!(before.elapsed().as_secs(), 2);
    }
}
