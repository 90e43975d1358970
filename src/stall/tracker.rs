//! Long-poll tracking with tokio's task hooks: every poll's start is noted
//! in its worker's slot, and a poll that ran at least the threshold is
//! recorded with its task, spawn location and worker.
//!
//! The hot path is two reads of the CPU's time-stamp counter (through
//! quanta; the overhead bench measured the hooks at about 36 ns per poll
//! with it, 86 ns with `Instant::now()`) and a few relaxed atomic stores;
//! only a poll over the threshold takes a lock. Polls still running are read
//! from the slots, so a worker blocked right now shows before its poll ends
//! (tokio's own metrics only publish when a worker parks).

use std::panic::Location;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use quanta::Clock;
use tokio::runtime::Builder;
#[cfg(tokio_unstable)]
use tokio::runtime::TaskMeta;

use super::duration_histogram::{self, DurationHistogram};
#[cfg(tokio_unstable)]
use super::names::task_key;
#[cfg(tokio_unstable)]
use crate::cpu_time;

/// Whether polls are tracked: the hooks need `--cfg tokio_unstable`.
pub const HOOKED: bool = cfg!(tokio_unstable);

/// Long polls kept between two samples; more are counted, not kept.
#[cfg(tokio_unstable)]
const MAX_PENDING: usize = 4096;

/// One poll of at least the threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LongPoll {
    pub task: u64,
    pub location: &'static Location<'static>,
    pub worker: usize,
    pub duration: Duration,
    /// Still running when sampled; its duration so far.
    pub running: bool,
    /// When the poll began (the tracker's raw clock): with `worker`, it
    /// tells one poll from the next.
    pub started: u64,
    /// The OS thread that ran it (0 where the OS gives no ids).
    pub thread: u64,
}

pub struct PollTracker {
    clock: Clock,
    threshold_ns: AtomicU64,
    /// Polls that started before this (raw clock) are not recorded when
    /// they end: they belong to what ran before a reset.
    epoch: AtomicU64,
    slots: Box<[Slot]>,
    finished: Mutex<Finished>,
}

#[derive(Default)]
struct Finished {
    polls: Vec<LongPoll>,
    overflow: u64,
}

/// What one worker is polling now. `started` (raw clock counts) is 0 while
/// it polls nothing.
///
/// Every poll writes its worker's slot, so each slot has cache lines of its
/// own: slots sharing a line would bounce it between the workers' cores on
/// every poll. 128 bytes, as x86 fetches lines in adjacent pairs.
#[derive(Default)]
#[repr(align(128))]
struct Slot {
    started: AtomicU64,
    /// The OS thread polling for this worker (tokio can hand a worker to
    /// another thread, so it is written at every poll).
    thread: AtomicU64,
    task: AtomicU64,
    location: AtomicPtr<Location<'static>>,
    /// Every poll's duration, from the same two clock readings.
    poll_times: DurationHistogram,
    /// How long each polled task waited for this worker after its wake-up.
    schedule_delays: DurationHistogram,
}

impl PollTracker {
    pub fn new(workers: usize, threshold: Duration) -> Arc<Self> {
        Arc::new(Self {
            clock: Clock::new(),
            threshold_ns: AtomicU64::new(threshold.as_nanos() as u64),
            epoch: AtomicU64::new(0),
            slots: (0..workers).map(|_| Slot::default()).collect(),
            finished: Mutex::default(),
        })
    }

    /// Sets the runtime's poll hooks to feed this tracker, and has tokio
    /// time every task's wait from its wake-up to its poll (the event
    /// loop's lag): only tokio sees the wake. It hands that delay to the
    /// hook that starts the poll, which counts it, so tokio's own
    /// scheduling-delay histogram can stay off.
    ///
    /// The hooks are tokio's unstable API: without `--cfg tokio_unstable`
    /// there are none, and no poll is tracked (`HOOKED` says which).
    #[cfg(tokio_unstable)]
    pub fn install(self: &Arc<Self>, builder: &mut Builder) {
        let before = Arc::clone(self);
        let after = Arc::clone(self);
        builder
            .track_task_schedule_latency()
            .on_before_task_poll(move |meta| before.poll_started(meta))
            .on_after_task_poll(move |meta| after.poll_ended(meta));
    }

    #[cfg(not(tokio_unstable))]
    pub fn install(self: &Arc<Self>, _: &mut Builder) {}

    pub fn threshold(&self) -> Duration {
        Duration::from_nanos(self.threshold_ns.load(Ordering::Relaxed))
    }

    pub fn set_threshold(&self, threshold: Duration) {
        self.threshold_ns
            .store(threshold.as_nanos() as u64, Ordering::Relaxed);
    }

    /// Forgets the long polls not yet taken, and those running now when they
    /// end: after a scenario switch they are the old workload's.
    pub fn forget_earlier(&self) {
        let mut finished = self.lock();
        self.epoch.store(self.now(), Ordering::Relaxed);
        *finished = Finished::default();
    }

    /// Long polls that ended since the last call, then those still running;
    /// and how many ended but were not kept.
    pub fn take(&self) -> (Vec<LongPoll>, u64) {
        let Finished {
            mut polls,
            overflow,
        } = std::mem::take(&mut *self.lock());
        let now = self.now();
        let threshold = self.threshold_ns.load(Ordering::Relaxed);
        for (worker, slot) in self.slots.iter().enumerate() {
            let started = slot.started.load(Ordering::Acquire);
            let running_for = self.clock.delta_as_nanos(started, now);
            if started == 0 || running_for < threshold {
                continue;
            }
            // The slot may move on to the next poll while we read it; then
            // the running entry names that poll's task, and the next sample
            // corrects it. A display can live with that; the hot path
            // stays free of locks.
            let location = slot.location.load(Ordering::Relaxed);
            // SAFETY: the slot only ever holds null or a `&'static Location`.
            let Some(location) = (unsafe { location.as_ref() }) else {
                continue;
            };
            polls.push(LongPoll {
                task: slot.task.load(Ordering::Relaxed),
                location,
                worker,
                duration: Duration::from_nanos(running_for),
                running: true,
                started,
                thread: slot.thread.load(Ordering::Relaxed),
            });
        }
        (polls, overflow)
    }

    /// Whether `worker` is still in the poll that began at `started`.
    pub fn still_polling(&self, worker: usize, started: u64) -> bool {
        self.slots
            .get(worker)
            .is_some_and(|slot| slot.started.load(Ordering::Acquire) == started)
    }

    /// Each worker's polls so far, as its hooks counted them: every task
    /// poll, where tokio's own count takes a run of polls handed on
    /// through a worker's LIFO slot as one.
    pub fn polls_by_worker(&self) -> Vec<u64> {
        self.slots
            .iter()
            .map(|slot| slot.poll_times.total())
            .collect()
    }

    /// Poll times counted so far, summed over workers, by
    /// `duration_histogram` bucket.
    pub fn poll_times(&self) -> Vec<u64> {
        self.summed(|slot| &slot.poll_times)
    }

    /// Scheduling delays counted so far, summed over workers, by
    /// `duration_histogram` bucket: one for every poll tokio timed.
    pub fn schedule_delays(&self) -> Vec<u64> {
        self.summed(|slot| &slot.schedule_delays)
    }

    fn summed(&self, histogram: impl Fn(&Slot) -> &DurationHistogram) -> Vec<u64> {
        let mut sums = vec![0; duration_histogram::BUCKETS];
        for slot in self.slots.iter() {
            histogram(slot).add_to(&mut sums);
        }
        sums
    }

    /// Each worker's OS thread id, as of its latest poll; 0 for a worker
    /// that has not polled yet (or where the OS gives no ids).
    pub fn worker_threads(&self) -> Vec<u64> {
        self.slots
            .iter()
            .map(|slot| slot.thread.load(Ordering::Relaxed))
            .collect()
    }

    #[cfg(tokio_unstable)]
    fn poll_started(&self, meta: &TaskMeta<'_>) {
        let Some(slot) = self.worker_slot() else {
            return;
        };
        let location: *const Location<'static> = meta.spawned_at();
        if let Some(delay) = meta.schedule_latency() {
            slot.schedule_delays.record(delay.as_nanos() as u64);
        }
        slot.task.store(task_key(meta.id()), Ordering::Relaxed);
        slot.thread
            .store(cpu_time::this_thread_id(), Ordering::Relaxed);
        slot.location.store(location.cast_mut(), Ordering::Relaxed);
        slot.started.store(self.now(), Ordering::Release);
    }

    #[cfg(tokio_unstable)]
    fn poll_ended(&self, meta: &TaskMeta<'_>) {
        let Some((worker, slot)) = self.worker_slot_with_index() else {
            return;
        };
        // Only the thread running this worker writes its slot (but for a
        // moment under `block_in_place`, when a count may be lost): a load
        // and a store, not a locked swap.
        let started = slot.started.load(Ordering::Relaxed);
        if started == 0 {
            return;
        }
        slot.started.store(0, Ordering::Relaxed);
        let elapsed = self.clock.delta_as_nanos(started, self.now());
        slot.poll_times.record(elapsed);
        if elapsed < self.threshold_ns.load(Ordering::Relaxed)
            || started < self.epoch.load(Ordering::Relaxed)
        {
            return;
        }
        let poll = LongPoll {
            task: task_key(meta.id()),
            location: meta.spawned_at(),
            worker,
            duration: Duration::from_nanos(elapsed),
            running: false,
            started,
            thread: slot.thread.load(Ordering::Relaxed),
        };
        let mut finished = self.lock();
        if finished.polls.len() < MAX_PENDING {
            finished.polls.push(poll);
        } else {
            finished.overflow += 1;
        }
    }

    #[cfg(tokio_unstable)]
    fn worker_slot(&self) -> Option<&Slot> {
        self.worker_slot_with_index().map(|(_, slot)| slot)
    }

    #[cfg(tokio_unstable)]
    fn worker_slot_with_index(&self) -> Option<(usize, &Slot)> {
        let worker = tokio::runtime::worker_index()?;
        self.slots.get(worker).map(|slot| (worker, slot))
    }

    /// The raw clock, never 0 (0 marks an idle slot).
    fn now(&self) -> u64 {
        self.clock.raw().max(1)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Finished> {
        self.finished
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(all(test, tokio_unstable))]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Instant;

    fn runtime(tracker: &Arc<PollTracker>) -> tokio::runtime::Runtime {
        let mut builder = Builder::new_multi_thread();
        builder.worker_threads(1).enable_all();
        tracker.install(&mut builder);
        builder.build().unwrap()
    }

    #[test]
    fn a_long_poll_is_recorded_with_its_spawn_location() {
        let tracker = PollTracker::new(1, Duration::from_millis(10));
        let rt = runtime(&tracker);
        let spawned_at = Location::caller().line() + 1;
        let task = rt.spawn(async { std::thread::sleep(Duration::from_millis(30)) });
        let key = task_key(task.id());
        rt.block_on(task).unwrap();
        let quick = rt.spawn(async {});
        rt.block_on(quick).unwrap();

        let (polls, overflow) = tracker.take();
        assert_eq!((polls.len(), overflow), (1, 0), "{polls:?}");
        let poll = polls[0];
        assert_eq!((poll.task, poll.worker, poll.running), (key, 0, false));
        assert_eq!(poll.location.file(), file!());
        assert_eq!(poll.location.line(), spawned_at);
        assert!(poll.duration >= Duration::from_millis(30));
        assert!(tracker.take().0.is_empty(), "taken once");
    }

    #[test]
    fn a_poll_still_running_shows_before_it_ends() {
        let tracker = PollTracker::new(1, Duration::from_millis(10));
        let rt = runtime(&tracker);
        let (release, blocked) = mpsc::channel::<()>();
        let task = rt.spawn(async move {
            let _ = blocked.recv();
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        let running = loop {
            let (polls, _) = tracker.take();
            if let Some(p) = polls.into_iter().find(|p| p.running) {
                break Some(p);
            }
            if Instant::now() > deadline {
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let running = running.expect("the blocked worker shows while blocked");
        assert_eq!(running.task, task_key(task.id()));
        assert!(running.duration >= Duration::from_millis(10));
        release.send(()).unwrap();
        rt.block_on(task).unwrap();
        // The join handle can see the task done a moment before the hook
        // after its poll runs.
        let ended = (0..500).any(|_| {
            let ended = tracker.take().0.iter().any(|p| !p.running);
            if !ended {
                std::thread::sleep(Duration::from_millis(10));
            }
            ended
        });
        assert!(ended, "and once more when it ends");
    }

    #[test]
    fn polls_from_before_a_reset_are_forgotten() {
        let tracker = PollTracker::new(1, Duration::from_millis(10));
        let rt = runtime(&tracker);
        // One ended before the reset, one still running through it.
        rt.block_on(rt.spawn(async { std::thread::sleep(Duration::from_millis(20)) }))
            .unwrap();
        let (release, blocked) = mpsc::channel::<()>();
        let old = rt.spawn(async move {
            let _ = blocked.recv();
        });
        std::thread::sleep(Duration::from_millis(20));
        tracker.forget_earlier();
        release.send(()).unwrap();
        rt.block_on(old).unwrap();
        let new = rt.spawn(async { std::thread::sleep(Duration::from_millis(20)) });
        let key = task_key(new.id());
        rt.block_on(new).unwrap();
        // A task polled after it, on the one worker, runs once the hook
        // after its poll has run.
        rt.block_on(rt.spawn(async {})).unwrap();
        let (polls, _) = tracker.take();
        let tasks: Vec<u64> = polls.iter().map(|p| p.task).collect();
        assert_eq!(tasks, vec![key], "only the poll that began after the reset");
    }

    #[test]
    fn a_task_woken_behind_a_long_poll_counts_its_wait() {
        let tracker = PollTracker::new(1, Duration::from_millis(10));
        let rt = runtime(&tracker);
        let (started, running) = mpsc::channel::<()>();
        let blocker = rt.spawn(async move {
            started.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(40));
        });
        running.recv().unwrap();
        // Woken (spawned) while the one worker is held: it waits about 40 ms.
        let waiter = rt.spawn(async {});
        rt.block_on(blocker).unwrap();
        rt.block_on(waiter).unwrap();
        let delays = tracker.schedule_delays();
        let waited = |b: usize| duration_histogram::range_of(b).end > Duration::from_millis(25);
        let long: u64 = (0..delays.len())
            .filter(|&b| waited(b))
            .map(|b| delays[b])
            .sum();
        assert_eq!(long, 1, "one task waited behind the long poll: {delays:?}");
        // The join handle can see the last task done a moment before the
        // hook after its poll counts its time.
        let polls = |t: &PollTracker| t.poll_times().iter().sum::<u64>();
        let deadline = Instant::now() + Duration::from_secs(5);
        while polls(&tracker) < 2 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            delays.iter().sum::<u64>(),
            polls(&tracker),
            "every poll has its delay counted"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn each_worker_is_known_by_its_os_thread() {
        let tracker = PollTracker::new(1, Duration::from_millis(10));
        let rt = runtime(&tracker);
        assert_eq!(tracker.worker_threads(), vec![0], "before any poll");
        let polled_on = rt.block_on(rt.spawn(async { cpu_time::this_thread_id() }));
        assert_eq!(tracker.worker_threads(), vec![polled_on.unwrap()]);
        assert_ne!(tracker.worker_threads()[0], cpu_time::this_thread_id());
    }

    #[test]
    fn each_worker_slot_has_cache_lines_of_its_own() {
        let tracker = PollTracker::new(4, Duration::from_millis(10));
        let lines: Vec<usize> = tracker
            .slots
            .iter()
            .map(|slot| std::ptr::from_ref(slot) as usize / 128)
            .collect();
        for pair in lines.windows(2) {
            assert!(pair[1] > pair[0], "slots share a 128-byte block: {lines:?}");
        }
    }

    #[test]
    fn the_threshold_can_change_while_running() {
        let tracker = PollTracker::new(1, Duration::from_millis(10));
        let rt = runtime(&tracker);
        tracker.set_threshold(Duration::from_secs(1));
        assert_eq!(tracker.threshold(), Duration::from_secs(1));
        rt.block_on(rt.spawn(async { std::thread::sleep(Duration::from_millis(20)) }))
            .unwrap();
        assert!(
            tracker.take().0.is_empty(),
            "20ms is under the new threshold"
        );
    }
}
