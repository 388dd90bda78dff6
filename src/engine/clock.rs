//! The runtime's one clock: every wait of an execution (Wait states, retry backoff,
//! timeouts, heartbeats, and the paced time tasks and transitions take) is a timer on it.
//!
//! It keeps *execution time*, which runs one of two ways:
//!
//! * **real time**, `speed` times as fast as the wall clock; it can be paused, and a
//!   change of speed or a pause takes effect on timers already waiting, since they are
//!   kept as execution-time deadlines and only turned into wall-clock waits by one
//!   driver thread;
//! * **virtual time**, which stands still while any tracked task (an execution) can
//!   run and, once every one of them waits, jumps to the earliest timer: a 60 s Wait
//!   costs nothing, and concurrent timers (a task timeout against a slow function)
//!   still fire in order.
//!
//! Paused real time can also be *stepped*: it then jumps like virtual time until
//! [`Clock::set_stepping`] is turned off again (the embedded backend does that once
//! the execution being stepped has recorded its next event).
//!
//! Which tasks count is explicit: a future wrapped with [`Clock::track`] is *busy*
//! whenever it can run, and virtual time waits for it. The engine tracks every
//! execution; anything else that must act at a virtual instant (a test sending a task
//! token after a delay) tracks itself the same way. A task that yields to the
//! scheduler (`yield_now`, tokio's cooperative budget) is not idle, though its poll
//! returned `Pending`: tokio wakes it only once the worker drains its *deferred*
//! wakes. So a tracked task that returns `Pending` stays busy until a probe of its
//! own, deferred behind any wake the task deferred, comes back; only then does it
//! count as waiting, and time jumps at once, on the same worker, with no other task
//! or thread involved.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// Time as the runtime sees it; cheap to clone, every clone is the same clock.
#[derive(Clone)]
pub struct Clock {
    handle: Arc<Handle>,
}

/// Keeps the driver thread alive while any [`Clock`] clone exists.
struct Handle {
    core: Arc<Core>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.core.lock().shutdown = true;
        self.core.driver.notify_all();
    }
}

struct Core {
    state: Mutex<State>,
    /// Wakes the real-time driver when the earliest deadline, the speed or the pause
    /// changed.
    driver: Condvar,
    /// A copy of `State::paused`, so a zero-length wait can be let through unlocked.
    paused: AtomicBool,
    /// A copy of `State::is_virtual`, which never changes.
    is_virtual: bool,
}

/// Execution time is `elapsed`, plus, while `anchor` is set, the wall time since the
/// anchor times `speed`.
struct State {
    origin: DateTime<Utc>,
    elapsed: Duration,
    anchor: Option<Instant>,
    speed: f64,
    is_virtual: bool,
    paused: bool,
    stepping: bool,
    /// Pending timers by (deadline, order of arrival).
    timers: BTreeMap<(Duration, u64), Waker>,
    next_timer: u64,
    /// Tracked tasks that can run now.
    busy: i64,
    driver_started: bool,
    shutdown: bool,
}

impl State {
    fn elapsed_now(&self) -> Duration {
        match self.anchor {
            Some(anchor) => self.elapsed + anchor.elapsed().mul_f64(self.speed),
            None => self.elapsed,
        }
    }

    /// Folds the time flowed since the anchor into `elapsed` and re-anchors now.
    fn settle(&mut self) {
        self.elapsed = self.elapsed_now();
        if self.anchor.is_some() {
            self.anchor = Some(Instant::now());
        }
    }

    /// Whether time jumps to the next timer once every tracked task waits.
    fn jumps(&self) -> bool {
        self.stepping || (self.is_virtual && !self.paused)
    }

    /// Removes the timers due by execution time `now`, for waking once unlocked.
    fn take_due(&mut self, now: Duration) -> Vec<Waker> {
        let later = self.timers.split_off(&(now, u64::MAX));
        std::mem::replace(&mut self.timers, later)
            .into_values()
            .collect()
    }

    /// When time jumps and nothing tracked can run: moves to the earliest deadline and
    /// takes what is then due.
    fn jump_if_idle(&mut self) -> Vec<Waker> {
        if self.busy > 0 || !self.jumps() {
            return Vec::new();
        }
        let Some(&(deadline, _)) = self.timers.keys().next() else {
            return Vec::new();
        };
        self.settle();
        self.elapsed = self.elapsed.max(deadline);
        let now = self.elapsed;
        self.take_due(now)
    }
}

fn wake_all(wakers: Vec<Waker>) {
    for w in wakers {
        w.wake();
    }
}

impl Core {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One tracked task more (`+1`) or less (`-1`) can run; time may jump when none can.
    fn add_busy(&self, delta: i64) {
        let mut st = self.lock();
        st.busy += delta;
        let due = st.jump_if_idle();
        drop(st);
        wake_all(due);
    }

    /// Fires the timers due in real time, then sleeps until the next one is, or until
    /// told that the speed, the pause or the earliest deadline changed.
    fn drive(self: Arc<Self>) {
        let mut st = self.lock();
        loop {
            if st.shutdown {
                return;
            }
            let next = match (st.anchor, st.timers.keys().next()) {
                (Some(_), Some(&(deadline, _))) => Some(deadline),
                _ => None,
            };
            st = match next {
                None => self.driver.wait(st).unwrap_or_else(|p| p.into_inner()),
                Some(deadline) => {
                    let now = st.elapsed_now();
                    if deadline <= now {
                        let due = st.take_due(now);
                        drop(st);
                        wake_all(due);
                        self.lock()
                    } else {
                        let wait = (deadline - now).div_f64(st.speed);
                        self.driver
                            .wait_timeout(st, wait)
                            .unwrap_or_else(|p| p.into_inner())
                            .0
                    }
                }
            };
        }
    }
}

impl Clock {
    /// Slowest and fastest speeds accepted; outside them a demo stops being watchable.
    pub const SPEED_RANGE: (f64, f64) = (0.1, 100.0);

    fn with(state: State) -> Self {
        let paused = AtomicBool::new(state.paused);
        let is_virtual = state.is_virtual;
        Self {
            handle: Arc::new(Handle {
                core: Arc::new(Core {
                    state: Mutex::new(state),
                    driver: Condvar::new(),
                    paused,
                    is_virtual,
                }),
            }),
        }
    }

    fn state(
        origin: DateTime<Utc>,
        anchor: Option<Instant>,
        speed: f64,
        is_virtual: bool,
    ) -> State {
        State {
            origin,
            elapsed: Duration::ZERO,
            anchor,
            speed,
            is_virtual,
            paused: false,
            stepping: false,
            timers: BTreeMap::new(),
            next_timer: 0,
            busy: 0,
            driver_started: false,
            shutdown: false,
        }
    }

    /// Virtual time reading `start`: waits cost no real time but still show in the
    /// history.
    pub fn virtual_from(start: DateTime<Utc>) -> Self {
        Self::with(Self::state(start, None, 1.0, true))
    }

    /// Real time reading the wall clock now and running `speed` times as fast.
    pub fn real_time(speed: f64) -> Self {
        Self::with(Self::state(
            Utc::now(),
            Some(Instant::now()),
            clamp_speed(speed),
            false,
        ))
    }

    fn core(&self) -> &Arc<Core> {
        &self.handle.core
    }

    /// Whether this clock keeps virtual time.
    pub fn is_virtual(&self) -> bool {
        self.core().is_virtual
    }

    /// The current execution time, for history timestamps and `$$` times.
    pub fn now(&self) -> DateTime<Utc> {
        let st = self.core().lock();
        // Saturates: a wait may move virtual time as far as a duration goes, past the
        // last instant a date can name.
        chrono::Duration::from_std(st.elapsed_now())
            .ok()
            .and_then(|d| st.origin.checked_add_signed(d))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Waits for `duration` of execution time.
    pub fn sleep(&self, duration: Duration) -> Sleep {
        Sleep {
            core: self.core().clone(),
            duration,
            timer: None,
            done: false,
        }
    }

    /// How many times as fast as the wall clock real time runs.
    pub fn speed(&self) -> f64 {
        self.core().lock().speed
    }

    /// Changes the speed, for the waits already running too.
    pub fn set_speed(&self, speed: f64) {
        let mut st = self.core().lock();
        st.settle();
        st.speed = clamp_speed(speed);
        drop(st);
        self.core().driver.notify_all();
    }

    /// Stops execution time: no timer fires (not even a zero-length one) until
    /// [`Clock::resume`], unless stepped.
    pub fn pause(&self) {
        let mut st = self.core().lock();
        st.settle();
        st.anchor = None;
        st.paused = true;
        self.core().paused.store(true, Ordering::Release);
        drop(st);
        self.core().driver.notify_all();
    }

    /// Lets execution time run again (and ends a step).
    pub fn resume(&self) {
        let due = {
            let mut st = self.core().lock();
            st.paused = false;
            st.stepping = false;
            self.core().paused.store(false, Ordering::Release);
            if !st.is_virtual && st.anchor.is_none() {
                st.anchor = Some(Instant::now());
            }
            st.jump_if_idle()
        };
        self.core().driver.notify_all();
        wake_all(due);
    }

    /// Whether execution time is paused.
    pub fn is_paused(&self) -> bool {
        self.core().paused.load(Ordering::Acquire)
    }

    /// While on (and paused), time jumps to the next timer whenever every tracked task
    /// waits, as virtual time does: how a paused run is advanced one event at a time.
    pub fn set_stepping(&self, on: bool) {
        let due = {
            let mut st = self.core().lock();
            st.stepping = on && st.paused;
            st.jump_if_idle()
        };
        wake_all(due);
    }

    /// Wraps `future` so that virtual (and stepped) time waits for it whenever it can
    /// run.
    pub fn track<F: Future>(&self, future: F) -> Tracked<F> {
        let participant = Arc::new(Participant {
            core: self.core().clone(),
            state: AtomicU64::new(NOTIFIED),
        });
        self.core().lock().busy += 1;
        Tracked {
            future: Box::pin(future),
            participant,
            waker: None,
        }
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.core().lock();
        f.debug_struct("Clock")
            .field("virtual", &st.is_virtual)
            .field("speed", &st.speed)
            .field("paused", &st.paused)
            .field("timers", &st.timers.len())
            .finish()
    }
}

fn clamp_speed(speed: f64) -> f64 {
    let (lo, hi) = Clock::SPEED_RANGE;
    if speed.is_finite() {
        speed.clamp(lo, hi)
    } else {
        1.0
    }
}

/// A wait on the [`Clock`]; dropping it cancels the timer.
pub struct Sleep {
    core: Arc<Core>,
    duration: Duration,
    timer: Option<(Duration, u64)>,
    done: bool,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.done {
            return Poll::Ready(());
        }
        let this = &mut *self;
        if this.timer.is_none()
            && this.duration.is_zero()
            && !this.core.paused.load(Ordering::Acquire)
        {
            this.done = true;
            return Poll::Ready(());
        }
        let mut st = this.core.lock();
        match this.timer {
            Some(key) => match st.timers.get_mut(&key) {
                None => {
                    this.done = true;
                    Poll::Ready(())
                }
                Some(waker) => {
                    if !waker.will_wake(cx.waker()) {
                        *waker = cx.waker().clone();
                    }
                    Poll::Pending
                }
            },
            None => {
                let key = (
                    st.elapsed_now().saturating_add(this.duration),
                    st.next_timer,
                );
                st.next_timer += 1;
                let earliest = st.timers.keys().next().is_none_or(|first| key < *first);
                st.timers.insert(key, cx.waker().clone());
                this.timer = Some(key);
                let start_driver = !st.is_virtual && !st.driver_started;
                // Only a running driver needs telling (virtual time has none).
                let tell_driver = earliest && st.driver_started;
                st.driver_started |= start_driver;
                let due = st.jump_if_idle();
                drop(st);
                if start_driver {
                    let core = this.core.clone();
                    // Without a driver, real time would never fire: fall back to
                    // firing on the next poll rather than failing silently.
                    if std::thread::Builder::new()
                        .name("sagaview-clock".into())
                        .spawn(move || core.drive())
                        .is_err()
                    {
                        this.core.lock().driver_started = false;
                    }
                } else if tell_driver {
                    this.core.driver.notify_all();
                }
                let jumped = !due.is_empty();
                wake_all(due);
                if jumped && !this.core.lock().timers.contains_key(&key) {
                    this.done = true;
                    return Poll::Ready(());
                }
                Poll::Pending
            }
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let (Some(key), false) = (self.timer, self.done) {
            self.core.lock().timers.remove(&key);
        }
    }
}

/// A tracked task's standing, packed in one atomic with the generation of its latest
/// poll (the bits above [`TAG_BITS`]), so that a probe from an earlier poll changes
/// nothing.
const IDLE: u64 = 0;
const RUNNING: u64 = 1;
const NOTIFIED: u64 = 2;
/// Returned `Pending`, but a wake it deferred may still be on its way.
const SETTLING: u64 = 3;
const DONE: u64 = 4;
const TAG_BITS: u32 = 3;
const TAG_MASK: u64 = (1 << TAG_BITS) - 1;

fn tag(state: u64) -> u64 {
    state & TAG_MASK
}

fn generation(state: u64) -> u64 {
    state & !TAG_MASK
}

/// One tracked task's standing: counted busy unless `IDLE` or `DONE`.
struct Participant {
    core: Arc<Core>,
    state: AtomicU64,
}

impl Participant {
    /// Moves the state with `step` (which answers `None` to leave it) and returns the
    /// state it replaced, or `None` when left alone.
    fn update(&self, step: impl Fn(u64) -> Option<u64>) -> Option<u64> {
        self.state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, step)
            .ok()
    }

    /// The task was woken: it can run again.
    fn notify(&self) {
        let before = self.update(|s| match tag(s) {
            IDLE | RUNNING | SETTLING => Some(generation(s) | NOTIFIED),
            _ => None,
        });
        if before.map(tag) == Some(IDLE) {
            self.core.add_busy(1);
        }
    }

    /// The task is being polled: returns the poll's generation.
    fn start_poll(&self) -> u64 {
        let next = |s: u64| generation(s).wrapping_add(1 << TAG_BITS);
        let before = self.update(|s| (tag(s) != DONE).then(|| next(s) | RUNNING));
        if before.map(tag) == Some(IDLE) {
            self.core.add_busy(1);
        }
        before.map_or(0, next)
    }

    /// The poll of `generation` returned `Pending`; unless the task was woken
    /// meanwhile, it settles until its probes come back.
    fn start_settling(&self, generation: u64) -> bool {
        self.state
            .compare_exchange(
                generation | RUNNING,
                generation | SETTLING,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// Both probes of the poll of `generation` came back: unless woken or polled
    /// since, the task now waits.
    fn settled(&self, generation: u64) {
        if self
            .state
            .compare_exchange(
                generation | SETTLING,
                generation | IDLE,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
        {
            self.core.add_busy(-1);
        }
    }

    /// The task ended, or was dropped.
    fn finish(&self) {
        let before = self.state.swap(DONE, Ordering::AcqRel);
        if !matches!(tag(before), IDLE | DONE) {
            self.core.add_busy(-1);
        }
    }
}

/// The two probes of one poll: one deferred before the task is polled, one after it
/// returned `Pending`. Whatever order the scheduler delivers deferred wakes in, the
/// probe that comes back last comes back after any wake the task deferred in between.
struct Settle {
    participant: Arc<Participant>,
    generation: u64,
    outstanding: AtomicU8,
}

/// One of a poll's two probes (each its own waker, so the scheduler keeps both).
struct Probe(Arc<Settle>);

impl Probe {
    /// Hands the probe to the scheduler's deferred wakes (woken at once outside a
    /// tokio runtime), as `yield_now` does with a task's own waker.
    fn defer(settle: &Arc<Settle>) {
        let probe = Waker::from(Arc::new(Probe(settle.clone())));
        let mut yielding = std::pin::pin!(tokio::task::yield_now());
        if yielding
            .as_mut()
            .poll(&mut Context::from_waker(&probe))
            .is_ready()
        {
            probe.wake();
        }
    }
}

impl Wake for Probe {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let settle = &self.0;
        if settle.outstanding.fetch_sub(1, Ordering::AcqRel) == 1 {
            settle.participant.settled(settle.generation);
        }
    }
}

/// Forwards a wake to the task after counting it busy again.
struct TrackedWaker {
    participant: Arc<Participant>,
    inner: Waker,
}

impl Wake for TrackedWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.participant.notify();
        self.inner.wake_by_ref();
    }
}

/// A future that [`Clock::track`] counts as busy whenever it can run.
pub struct Tracked<F> {
    future: Pin<Box<F>>,
    participant: Arc<Participant>,
    /// The task's waker and the counting waker built around it, reused while the task
    /// keeps the same one.
    waker: Option<(Waker, Waker)>,
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let p = &this.participant;
        let generation = p.start_poll();
        let settle = Arc::new(Settle {
            participant: p.clone(),
            generation,
            outstanding: AtomicU8::new(2),
        });
        Probe::defer(&settle);
        let waker = match &this.waker {
            Some((task, counting)) if task.will_wake(cx.waker()) => counting.clone(),
            _ => {
                let counting = Waker::from(Arc::new(TrackedWaker {
                    participant: p.clone(),
                    inner: cx.waker().clone(),
                }));
                this.waker = Some((cx.waker().clone(), counting.clone()));
                counting
            }
        };
        match this.future.as_mut().poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(out) => {
                p.finish();
                Poll::Ready(out)
            }
            Poll::Pending => {
                if p.start_settling(generation) {
                    Probe::defer(&settle);
                }
                Poll::Pending
            }
        }
    }
}

impl<F> Drop for Tracked<F> {
    fn drop(&mut self) {
        self.participant.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;

    fn start() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).expect("a time")
    }

    fn secs_since(clock: &Clock, t: DateTime<Utc>) -> f64 {
        (clock.now() - t).num_milliseconds() as f64 / 1000.0
    }

    #[tokio::test]
    async fn virtual_sleep_costs_no_real_time() {
        let clock = Clock::virtual_from(start());
        let real = Instant::now();
        clock.track(clock.sleep(Duration::from_secs(3600))).await;
        assert!(real.elapsed() < Duration::from_secs(5));
        assert_eq!((clock.now() - start()).num_seconds(), 3600);
    }

    #[tokio::test]
    async fn virtual_timers_fire_in_deadline_order() {
        let clock = Clock::virtual_from(start());
        let order = Arc::new(StdMutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for s in [5u64, 1, 3] {
            let (c, order) = (clock.clone(), order.clone());
            tasks.push(tokio::spawn(clock.track(async move {
                c.sleep(Duration::from_secs(s)).await;
                order.lock().unwrap().push((s, secs_since(&c, start())));
            })));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![(1, 1.0), (3, 3.0), (5, 5.0)]);
    }

    #[tokio::test]
    async fn virtual_time_waits_for_a_busy_tracked_task() {
        let clock = Clock::virtual_from(start());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let c = clock.clone();
        let sleeper = tokio::spawn(clock.track(async move {
            c.sleep(Duration::from_secs(10)).await;
            secs_since(&c, start())
        }));
        // A second tracked task that is not waiting on the clock holds time still.
        let holder = clock.track(async move {
            tokio::task::yield_now().await;
            tokio::task::yield_now().await;
        });
        holder.await;
        drop(tx);
        let _ = rx.await;
        assert_eq!(sleeper.await.unwrap(), 10.0);
    }

    /// Time must stand still while a tracked task only yields, however it yields.
    async fn yielding_holds_time_still() {
        let clock = Clock::virtual_from(start());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        for i in 0..2_000 {
            tx.send(i).unwrap();
        }
        drop(tx);
        // Both are tracked before either is spawned, so neither runs alone.
        let c = clock.clone();
        let sleeper = clock.track(async move {
            c.sleep(Duration::from_secs(10)).await;
            secs_since(&c, start())
        });
        let c = clock.clone();
        let yielder = clock.track(async move {
            let mut moved = 0;
            for _ in 0..200 {
                tokio::task::yield_now().await;
                moved += usize::from(c.now() != start());
            }
            // Past tokio's cooperative budget, `recv` returns Pending though a
            // message is ready.
            while rx.recv().await.is_some() {
                moved += usize::from(c.now() != start());
            }
            moved
        });
        let sleeper = tokio::spawn(sleeper);
        let moved = tokio::spawn(yielder).await.unwrap();
        assert_eq!(moved, 0, "time jumped while a tracked task could run");
        assert_eq!(sleeper.await.unwrap(), 10.0);
    }

    #[tokio::test]
    async fn a_yielding_task_holds_time_still_on_one_thread() {
        yielding_holds_time_still().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_yielding_task_holds_time_still_on_two_workers() {
        for _ in 0..20 {
            yielding_holds_time_still().await;
        }
    }

    #[test]
    fn only_the_latest_poll_lets_a_task_go_idle() {
        let clock = Clock::virtual_from(start());
        let busy = || clock.core().lock().busy;
        let p = Arc::new(Participant {
            core: clock.core().clone(),
            state: AtomicU64::new(IDLE),
        });
        let first = p.start_poll();
        assert_eq!(busy(), 1);
        assert!(p.start_settling(first));
        assert_eq!(busy(), 1, "a settling task is busy");
        p.notify();
        let second = p.start_poll();
        assert!(p.start_settling(second));
        p.settled(first);
        assert_eq!(busy(), 1, "a probe of an earlier poll changed nothing");
        p.settled(second);
        assert_eq!(busy(), 0);
        p.notify();
        assert_eq!(busy(), 1, "a wake counts the idle task busy again");
        let third = p.start_poll();
        p.notify();
        assert!(
            !p.start_settling(third),
            "woken during its poll: not settling"
        );
        p.finish();
        assert_eq!(busy(), 0);
    }

    #[tokio::test]
    async fn a_cancelled_sleep_leaves_no_timer() {
        let clock = Clock::virtual_from(start());
        let c = clock.clone();
        clock
            .track(async move {
                tokio::select! {
                    _ = c.sleep(Duration::from_secs(1)) => {}
                    _ = c.sleep(Duration::from_secs(100)) => panic!("the later timer won"),
                }
            })
            .await;
        assert_eq!(clock.core().lock().timers.len(), 0);
        assert_eq!(secs_since(&clock, start()), 1.0);
    }

    #[tokio::test]
    async fn real_time_runs_at_its_speed() {
        let clock = Clock::real_time(50.0);
        let before = Instant::now();
        clock.sleep(Duration::from_secs(5)).await;
        let took = before.elapsed();
        assert!(took >= Duration::from_millis(95), "{took:?}");
        assert!(took < Duration::from_secs(4), "{took:?}");
    }

    #[tokio::test]
    async fn a_speed_change_shortens_a_wait_already_running() {
        let clock = Clock::real_time(1.0);
        let c = clock.clone();
        let wait = tokio::spawn(async move {
            let before = Instant::now();
            c.sleep(Duration::from_secs(30)).await;
            before.elapsed()
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        clock.set_speed(100.0);
        let took = tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .expect("the 30 s wait ended well within 10 s once sped up")
            .unwrap();
        assert!(took < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn pause_holds_every_timer_even_zero_length_ones() {
        let clock = Clock::real_time(100.0);
        clock.pause();
        let frozen = clock.now();
        let c = clock.clone();
        let zero = tokio::spawn(async move { c.sleep(Duration::ZERO).await });
        let c = clock.clone();
        let short = tokio::spawn(async move { c.sleep(Duration::from_millis(1)).await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!zero.is_finished() && !short.is_finished());
        assert_eq!(clock.now(), frozen);
        clock.resume();
        tokio::time::timeout(Duration::from_secs(5), async {
            zero.await.unwrap();
            short.await.unwrap();
        })
        .await
        .expect("resumed timers fire");
    }

    #[tokio::test]
    async fn stepping_a_paused_clock_jumps_to_the_next_timer() {
        let clock = Clock::real_time(1.0);
        clock.pause();
        let before = clock.now();
        let c = clock.clone();
        let task = tokio::spawn(clock.track(async move {
            c.sleep(Duration::from_secs(600)).await;
        }));
        clock.set_stepping(true);
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the step jumped over the 600 s wait")
            .unwrap();
        clock.set_stepping(false);
        assert!(clock.is_paused());
        assert_eq!((clock.now() - before).num_seconds(), 600);
    }

    #[test]
    fn speed_is_clamped() {
        let c = Clock::real_time(1000.0);
        assert_eq!(c.speed(), 100.0);
        c.set_speed(2.0);
        assert_eq!(c.speed(), 2.0);
        c.set_speed(f64::NAN);
        assert_eq!(c.speed(), 1.0);
    }
}
