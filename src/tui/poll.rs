//! One request that is repeated: at most one in flight, and none sooner than a period
//! after the last ask, so slow backends are never flooded with duplicate calls.

/// The state of one repeated request (a history, the rows, the execution list, the
/// definition).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Poll {
    in_flight: bool,
    last_ms: Option<u64>,
}

impl Poll {
    /// Whether to ask again at `now`: nothing is in flight, and it was never asked or
    /// `every` ms have passed since.
    pub fn due(&self, now: u64, every: u64) -> bool {
        !self.in_flight
            && self
                .last_ms
                .is_none_or(|last| now.saturating_sub(last) >= every)
    }

    /// Whether an answer is still awaited; a second ask would only duplicate it.
    pub fn in_flight(&self) -> bool {
        self.in_flight
    }

    /// Whether it was ever asked.
    pub fn asked(&self) -> bool {
        self.last_ms.is_some()
    }

    /// Records an ask at `now`; the period counts from here.
    pub fn start(&mut self, now: u64) {
        self.in_flight = true;
        self.last_ms = Some(now);
    }

    /// Records the answer, whatever it was.
    pub fn done(&mut self) {
        self.in_flight = false;
    }

    /// Records a failed answer at `now`: the wait before the next ask counts from the
    /// failure, so a backend that is slow to fail is not asked again at once.
    pub fn failed(&mut self, now: u64) {
        self.in_flight = false;
        self.last_ms = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_asked_is_due_at_once() {
        assert!(Poll::default().due(0, 1_000));
    }

    #[test]
    fn one_ask_at_a_time_and_not_before_the_period() {
        let mut p = Poll::default();
        p.start(100);
        assert!(p.in_flight());
        assert!(!p.due(5_000, 250), "still in flight");
        p.done();
        assert!(!p.due(349, 250));
        assert!(p.due(350, 250));
    }

    #[test]
    fn a_failure_restarts_the_wait() {
        let mut p = Poll::default();
        p.start(0);
        p.failed(4_000);
        assert!(!p.in_flight());
        assert!(!p.due(8_999, 5_000));
        assert!(p.due(9_000, 5_000));
    }
}
