//! Client-side token buckets that keep sagaview inside Step Functions' API quotas.
//!
//! Step Functions meters each API with a token bucket per account and region
//! (<https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html>). A viewer
//! shares those buckets with everything else in the account, so it spends at most half
//! of each refill rate, never bursts past that, and backs off with jitter when the
//! service throttles anyway.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// The Step Functions calls sagaview makes, each metered separately by AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// `GetExecutionHistory`: bucket 400, refill 20/s.
    GetExecutionHistory,
    /// `DescribeExecution`: bucket 250, refill 15/s (the large regions).
    DescribeExecution,
    /// `ListExecutions`: bucket 100, refill 5/s.
    ListExecutions,
    /// `DescribeStateMachineForExecution`: bucket 200, refill 1/s.
    DescribeStateMachineForExecution,
    /// `DescribeStateMachine`: bucket 200, refill 20/s.
    DescribeStateMachine,
    /// `StartExecution`: bucket 1300, refill 300/s (the large regions).
    StartExecution,
    /// `StopExecution`: bucket 1000, refill 200/s (the large regions).
    StopExecution,
    /// `SendTaskSuccess`: bucket 1500, refill 500/s (the large regions).
    SendTaskSuccess,
    /// `SendTaskFailure`: bucket 1500, refill 500/s (the large regions).
    SendTaskFailure,
    /// `SendTaskHeartbeat`: bucket 1500, refill 500/s (the large regions).
    SendTaskHeartbeat,
    /// `RedriveExecution`: taken as ListExecutions' bucket (100, refill 5/s), a small
    /// one, which costs nothing since a redrive is one person's decision.
    RedriveExecution,
}

/// A token bucket's shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quota {
    /// Tokens the bucket holds when full.
    pub burst: f64,
    /// Tokens added per second.
    pub per_second: f64,
}

impl Api {
    /// Every metered API.
    pub const ALL: [Api; 11] = [
        Api::GetExecutionHistory,
        Api::DescribeExecution,
        Api::ListExecutions,
        Api::DescribeStateMachineForExecution,
        Api::DescribeStateMachine,
        Api::StartExecution,
        Api::StopExecution,
        Api::SendTaskSuccess,
        Api::SendTaskFailure,
        Api::SendTaskHeartbeat,
        Api::RedriveExecution,
    ];

    /// The operation name, as the SDK and AWS name it.
    pub fn name(self) -> &'static str {
        match self {
            Api::GetExecutionHistory => "GetExecutionHistory",
            Api::DescribeExecution => "DescribeExecution",
            Api::ListExecutions => "ListExecutions",
            Api::DescribeStateMachineForExecution => "DescribeStateMachineForExecution",
            Api::DescribeStateMachine => "DescribeStateMachine",
            Api::StartExecution => "StartExecution",
            Api::StopExecution => "StopExecution",
            Api::SendTaskSuccess => "SendTaskSuccess",
            Api::SendTaskFailure => "SendTaskFailure",
            Api::SendTaskHeartbeat => "SendTaskHeartbeat",
            Api::RedriveExecution => "RedriveExecution",
        }
    }

    /// AWS's published bucket for this API (us-east-1, us-west-2, eu-west-1 and the
    /// other large regions; smaller regions have lower refill rates for some).
    pub fn aws_quota(self) -> Quota {
        let (burst, per_second) = match self {
            Api::GetExecutionHistory => (400.0, 20.0),
            Api::DescribeExecution => (250.0, 15.0),
            Api::ListExecutions => (100.0, 5.0),
            Api::DescribeStateMachineForExecution => (200.0, 1.0),
            Api::DescribeStateMachine => (200.0, 20.0),
            Api::StartExecution => (1300.0, 300.0),
            Api::StopExecution => (1000.0, 200.0),
            Api::SendTaskSuccess | Api::SendTaskFailure | Api::SendTaskHeartbeat => (1500.0, 500.0),
            Api::RedriveExecution => (100.0, 5.0),
        };
        Quota { burst, per_second }
    }

    /// What sagaview allows itself: half the refill rate, and a burst no larger than
    /// one second of it, so any one-second window stays within AWS's refill rate.
    pub fn client_quota(self) -> Quota {
        let aws = self.aws_quota();
        let per_second = aws.per_second / 2.0;
        Quota {
            burst: per_second.max(1.0),
            per_second,
        }
    }
}

#[derive(Debug)]
struct Bucket {
    quota: Quota,
    tokens: f64,
    last: Instant,
    /// After a throttle: no calls before this instant.
    paused_until: Option<Instant>,
    /// Consecutive throttles, for exponential backoff.
    strikes: u32,
}

impl Bucket {
    fn new(quota: Quota, now: Instant) -> Self {
        Self {
            quota,
            tokens: quota.burst,
            last: now,
            paused_until: None,
            strikes: 0,
        }
    }

    /// Takes a token, or says how long to wait for one.
    fn try_take(&mut self, now: Instant) -> Result<(), Duration> {
        if let Some(until) = self.paused_until {
            if now < until {
                return Err(until - now);
            }
            self.paused_until = None;
        }
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.quota.per_second).min(self.quota.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - self.tokens;
            Err(Duration::from_secs_f64(missing / self.quota.per_second))
        }
    }
}

/// Paces calls per [`Api`]; shared by every task of one backend.
#[derive(Debug)]
pub struct Limiter {
    buckets: Mutex<HashMap<Api, Bucket>>,
    quota_of: fn(Api) -> Quota,
}

impl Default for Limiter {
    fn default() -> Self {
        Self::new(Api::client_quota)
    }
}

/// Longest pause after repeated throttling.
const MAX_BACKOFF: Duration = Duration::from_secs(20);

impl Limiter {
    /// A limiter whose buckets have the shapes `quota_of` gives.
    pub fn new(quota_of: fn(Api) -> Quota) -> Self {
        Self {
            buckets: Mutex::new(HashMap::new()),
            quota_of,
        }
    }

    /// Waits until a call to `api` fits in its bucket, then takes the token.
    pub async fn acquire(&self, api: Api) {
        loop {
            let wait = {
                let now = Instant::now();
                let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
                let bucket = buckets
                    .entry(api)
                    .or_insert_with(|| Bucket::new((self.quota_of)(api), now));
                match bucket.try_take(now) {
                    Ok(()) => return,
                    Err(wait) => wait,
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Records that AWS throttled `api`: empties its bucket and pauses it for an
    /// exponentially growing, jittered time (1 s, 2 s, 4 s … up to 20 s).
    pub fn throttled(&self, api: Api) {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets
            .entry(api)
            .or_insert_with(|| Bucket::new((self.quota_of)(api), now));
        bucket.strikes = bucket.strikes.saturating_add(1);
        let base = Duration::from_secs(1) * 2u32.saturating_pow(bucket.strikes - 1).min(32);
        let base = base.min(MAX_BACKOFF);
        // Full jitter on the upper half, so a room of viewers does not retry in step.
        let jitter = base.mul_f64(rand::random::<f64>() * 0.5);
        bucket.tokens = 0.0;
        bucket.paused_until = Some(now + base / 2 + jitter);
    }

    /// Records a call that went through: the throttle backoff starts over.
    pub fn succeeded(&self, api: Api) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = buckets.get_mut(&api) {
            b.strikes = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_quotas_stay_within_aws_rates() {
        for api in Api::ALL {
            let (c, a) = (api.client_quota(), api.aws_quota());
            assert!(c.per_second <= a.per_second / 2.0, "{api:?}");
            assert!(c.burst <= c.per_second.max(1.0), "{api:?}");
            assert!(c.burst <= a.burst, "{api:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn calls_are_paced_at_the_refill_rate() {
        let limiter = Limiter::default();
        let start = Instant::now();
        for _ in 0..40 {
            limiter.acquire(Api::GetExecutionHistory).await;
        }
        // 10 from the burst, then 30 more at 10 per second.
        let took = start.elapsed().as_secs_f64();
        assert!((2.9..3.1).contains(&took), "{took}");
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_pauses_with_growing_backoff() {
        let limiter = Limiter::default();
        let start = Instant::now();
        limiter.throttled(Api::ListExecutions);
        limiter.acquire(Api::ListExecutions).await;
        let first = start.elapsed();
        assert!(first >= Duration::from_millis(500), "{first:?}");
        limiter.throttled(Api::ListExecutions);
        limiter.throttled(Api::ListExecutions);
        let t = Instant::now();
        limiter.acquire(Api::ListExecutions).await;
        assert!(t.elapsed() >= Duration::from_secs(2), "{:?}", t.elapsed());
        limiter.succeeded(Api::ListExecutions);
        limiter.throttled(Api::ListExecutions);
        let t = Instant::now();
        limiter.acquire(Api::ListExecutions).await;
        // Back to the first step: 0.5-1 s (tokio's timer rounds up to the millisecond).
        assert!(t.elapsed() <= Duration::from_secs(1), "{:?}", t.elapsed());
    }
}
