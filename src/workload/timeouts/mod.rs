//! Timeouts and cancellation: clients send rounds of requests with a
//! deadline, three ways. `tokio::time::timeout` on each request; a
//! `select!` between the whole round (a `FuturesUnordered` in one task) and
//! the deadline, which cancels what is left; or the requests as tasks in a
//! `JoinSet`, taken as they complete with `join_next`, the rest aborted.

#[cfg(feature = "ui")]
pub mod pane;
pub mod report;

use crate::workload::contract::{Counted, Readings, Tick};
use report::TimeoutsSample;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use tokio::runtime::Handle;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::workload::knob::{Choice, KnobSpec, LiveKnobs, Step, Unit};
use crate::workload::latency::{Latency, LatencyRecorder};
use crate::workload::task_group::TaskGroup;
use crate::workload::work;

pub const CLIENTS: usize = 0;
pub const BATCH: usize = 1;
pub const LATENCY: usize = 2;
pub const DEADLINE: usize = 3;
pub const MODE: usize = 4;
pub const PAUSE: usize = 5;

/// How a round's requests are cut off at the deadline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CancelBy {
    /// `tokio::time::timeout` on each request.
    #[default]
    Timeout,
    /// `select!` between the round and a sleep.
    Select,
    /// A `JoinSet`, its results taken as they complete.
    AsCompleted,
}

impl Choice for CancelBy {
    const ALL: &'static [Self] = &[Self::Timeout, Self::Select, Self::AsCompleted];
    const NAMES: &'static [&'static str] = &["timeout", "select", "as_completed"];
}

pub static TIMEOUT_KNOBS: [KnobSpec; 6] = [
    KnobSpec {
        id: "clients",
        label: "clients",
        range: 1..=64,
        unit: Unit::Count,
        step: Step::Linear { by: 1 },
        default: 4,
    },
    KnobSpec {
        id: "batch",
        label: "requests/round",
        range: 1..=1000,
        unit: Unit::Count,
        step: Step::Ladder { first: 1 },
        default: 10,
    },
    KnobSpec {
        id: "latency",
        label: "mean latency",
        range: 0..=10_000_000,
        unit: Unit::Micros,
        step: Step::Ladder { first: 100 },
        default: 40_000,
    },
    KnobSpec {
        id: "deadline",
        label: "deadline",
        range: 1_000..=10_000_000,
        unit: Unit::Micros,
        step: Step::Ladder { first: 1_000 },
        default: 60_000,
    },
    KnobSpec {
        id: "mode",
        label: "cancel by",
        range: 0..=2,
        unit: Unit::Choice(CancelBy::NAMES),
        step: Step::Linear { by: 1 },
        default: 0,
    },
    KnobSpec {
        id: "pause",
        label: "round gap",
        range: 0..=10_000_000,
        unit: Unit::Micros,
        step: Step::Ladder { first: 100 },
        default: 50_000,
    },
];

/// Cumulative counts.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TimeoutCounters {
    pub started: u64,
    pub finished: u64,
    pub timed_out: u64,
    pub cancelled: u64,
    pub mode: CancelBy,
}

/// The latencies recorded since they were last taken.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TimeoutLatencies {
    /// Of finished requests, from the start of their round.
    pub latency: Latency,
    /// From the start of a round to its first result.
    pub first_result: Latency,
}

#[derive(Default)]
struct Shared {
    started: AtomicU64,
    finished: AtomicU64,
    timed_out: AtomicU64,
    cancelled: AtomicU64,
    latency: LatencyRecorder,
    first_result: LatencyRecorder,
}

pub struct TimeoutsWorkload {
    knobs: Arc<LiveKnobs>,
    shared: Arc<Shared>,
    clients: TaskGroup,
}

impl TimeoutsWorkload {
    pub fn start(handle: &Handle, values: &[u64]) -> Self {
        let mut workload = Self {
            knobs: Arc::new(LiveKnobs::new(&TIMEOUT_KNOBS, values)),
            shared: Arc::default(),
            clients: TaskGroup::new(handle.clone(), "client"),
        };
        workload.resize();
        workload
    }

    /// Takes the latencies recorded since the last call: once a tick, by
    /// the sampler.
    pub fn take_latencies(&mut self) -> TimeoutLatencies {
        TimeoutLatencies {
            latency: self.shared.latency.take(),
            first_result: self.shared.first_result.take(),
        }
    }

    fn resize(&mut self) {
        let target = self.knobs.get(CLIENTS) as usize;
        let (knobs, shared) = (&self.knobs, &self.shared);
        self.clients.resize(target, |_, token| {
            client(knobs.clone(), shared.clone(), token)
        });
    }
}

impl Counted for TimeoutsWorkload {
    type Counts = TimeoutCounters;
    type Sample = TimeoutsSample;

    fn set(&mut self, index: usize, value: u64) {
        self.knobs.set(index, value);
        if index == CLIENTS {
            self.resize();
        }
    }

    fn values(&self) -> Vec<u64> {
        self.knobs.values()
    }

    fn counters(&self) -> TimeoutCounters {
        let s = &self.shared;
        TimeoutCounters {
            started: s.started.load(Ordering::Relaxed),
            finished: s.finished.load(Ordering::Relaxed),
            timed_out: s.timed_out.load(Ordering::Relaxed),
            cancelled: s.cancelled.load(Ordering::Relaxed),
            mode: self.knobs.choice(MODE),
        }
    }

    fn section(&mut self, readings: Readings<'_, TimeoutCounters>, tick: &Tick) -> TimeoutsSample {
        report::section(self, readings, tick)
    }
}

async fn client(knobs: Arc<LiveKnobs>, shared: Arc<Shared>, cancel: CancellationToken) {
    while !cancel.is_cancelled() {
        let batch = knobs.get(BATCH);
        let mean = Duration::from_micros(knobs.get(LATENCY));
        let deadline = Duration::from_micros(knobs.get(DEADLINE));
        shared.started.fetch_add(batch, Ordering::Relaxed);
        let round = Round {
            shared: &shared,
            started: Instant::now(),
            first: false,
        };
        match knobs.choice(MODE) {
            CancelBy::Timeout => round.each_with_timeout(batch, mean, deadline).await,
            CancelBy::Select => round.select_against_deadline(batch, mean, deadline).await,
            CancelBy::AsCompleted => round.join_set_as_completed(batch, mean, deadline).await,
        }
        let pause = work::jittered(Duration::from_micros(knobs.get(PAUSE)));
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(pause) => {}
        }
    }
}

/// A simulated request: it answers after a random time around the mean.
async fn request(mean: Duration) {
    tokio::time::sleep(work::exponential(mean)).await;
}

struct Round<'a> {
    shared: &'a Shared,
    started: Instant,
    first: bool,
}

impl Round<'_> {
    fn finished(&mut self) {
        let took = self.started.elapsed();
        if !self.first {
            self.first = true;
            self.shared.first_result.record(took);
        }
        self.shared.latency.record(took);
        self.shared.finished.fetch_add(1, Ordering::Relaxed);
    }

    /// `asyncio.wait_for` on each request: each gets the whole deadline.
    async fn each_with_timeout(mut self, batch: u64, mean: Duration, deadline: Duration) {
        let mut requests: FuturesUnordered<_> = (0..batch)
            .map(|_| tokio::time::timeout(deadline, request(mean)))
            .collect();
        while let Some(outcome) = requests.next().await {
            match outcome {
                Ok(()) => self.finished(),
                Err(_) => {
                    self.shared.timed_out.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// `select!` between the round and its deadline; the loser is dropped,
    /// and with it every request still pending: cancelled.
    async fn select_against_deadline(mut self, batch: u64, mean: Duration, deadline: Duration) {
        let mut requests: FuturesUnordered<_> = (0..batch).map(|_| request(mean)).collect();
        let timer = tokio::time::sleep(deadline);
        tokio::pin!(timer);
        loop {
            tokio::select! {
                done = requests.next() => match done {
                    Some(()) => self.finished(),
                    None => return,
                },
                _ = &mut timer => {
                    self.shared.cancelled.fetch_add(requests.len() as u64, Ordering::Relaxed);
                    return;
                }
            }
        }
    }

    /// `asyncio.as_completed`: requests as tasks, results in the order they
    /// finish; at the deadline the rest are aborted.
    async fn join_set_as_completed(mut self, batch: u64, mean: Duration, deadline: Duration) {
        let mut requests = JoinSet::new();
        for _ in 0..batch {
            requests.spawn(request(mean));
        }
        let timer = tokio::time::sleep(deadline);
        tokio::pin!(timer);
        loop {
            tokio::select! {
                done = requests.join_next() => match done {
                    Some(_) => self.finished(),
                    None => return,
                },
                _ = &mut timer => {
                    self.shared.cancelled.fetch_add(requests.len() as u64, Ordering::Relaxed);
                    requests.abort_all();
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::knob::defaults;

    fn run(mode: u64, deadline_us: u64) -> TimeoutCounters {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut values = defaults(&TIMEOUT_KNOBS);
        values[MODE] = mode;
        values[DEADLINE] = deadline_us;
        values[PAUSE] = 5_000;
        let workload = TimeoutsWorkload::start(rt.handle(), &values);
        std::thread::sleep(Duration::from_millis(1200));
        let c = workload.counters();
        drop(workload);
        rt.shutdown_background();
        c
    }

    #[test]
    fn every_mode_accounts_for_every_request() {
        for mode in 0..3 {
            let c = run(mode, 40_000);
            let ended = c.finished + c.timed_out + c.cancelled;
            assert!(c.finished > 0, "mode {mode}: {c:?}");
            // Only the rounds in flight at the reading are unaccounted for.
            assert!(c.started - ended <= 4 * 10, "mode {mode}: {c:?}");
            if mode == 0 {
                assert!(c.timed_out > 0 && c.cancelled == 0, "{c:?}");
            } else {
                assert!(c.cancelled > 0 && c.timed_out == 0, "mode {mode}: {c:?}");
            }
        }
    }

    #[test]
    fn a_generous_deadline_lets_everything_finish() {
        let c = run(0, 10_000_000);
        assert_eq!((c.timed_out, c.cancelled), (0, 0), "{c:?}");
    }
}
