//! The producer/consumer workload: the asyncio tutorial's "Using a Queue"
//! program in tokio. Producers put items into a bounded queue; consumers take
//! them out, wait on (simulated) I/O and do some CPU work per item.
//!
//! The blocking knob turns the first consumers' I/O wait into a blocking
//! `std::thread::sleep`, the classic way to stall an event loop; the offload
//! knob moves their blocking wait and CPU work to `spawn_blocking` or a pool
//! of the workload's own, or cuts it into slices that yield in between.

pub mod knobs;
#[cfg(feature = "ui")]
pub mod pane;
pub mod report;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

use crate::workload::bounded_queue::BoundedQueue;
use crate::workload::knob::LiveKnobs;
use crate::workload::pool::ThreadPool;
use crate::workload::task_group::TaskGroup;
use crate::workload::work;
use knobs::{blocking_consumers, Offload, QueueKnob, QueueSettings, QUEUE_KNOBS};

/// Cumulative figures the sampler turns into rates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueCounters {
    pub produced: u64,
    pub consumed: u64,
    pub depth: u64,
    pub capacity: u64,
    pub producers: u64,
    pub consumers: u64,
    /// Producers waiting for room, consumers waiting for an item.
    pub waiting_producers: u64,
    pub waiting_consumers: u64,
    /// Threads of the workload's own pool (offload = pool), once started.
    pub pool_threads: u64,
}

struct Shared {
    queue: BoundedQueue<u64>,
    knobs: LiveKnobs,
    produced: AtomicU64,
    consumed: AtomicU64,
    /// Started the first time a consumer offloads to it.
    pool: OnceLock<Option<ThreadPool>>,
}

impl Shared {
    fn get(&self, knob: QueueKnob) -> u64 {
        self.knobs.get(knob.index())
    }
}

pub struct QueueWorkload {
    shared: Arc<Shared>,
    producers: TaskGroup,
    consumers: TaskGroup,
}

impl QueueWorkload {
    pub fn start(handle: &Handle, settings: QueueSettings) -> Self {
        let shared = Arc::new(Shared {
            queue: BoundedQueue::new(settings.capacity as usize),
            knobs: LiveKnobs::new(&QUEUE_KNOBS, &settings.values()),
            produced: AtomicU64::new(0),
            consumed: AtomicU64::new(0),
            pool: OnceLock::new(),
        });
        let mut workload = Self {
            shared,
            producers: TaskGroup::new(handle.clone(), "producer"),
            consumers: TaskGroup::new(handle.clone(), "consumer"),
        };
        workload.resize_producers();
        workload.resize_consumers();
        workload
    }

    /// Applies a knob to the running tasks: counts add or cancel tasks, the
    /// rest are read by every task on its next item.
    pub fn set(&mut self, knob: QueueKnob, value: u64) {
        self.shared.knobs.set(knob.index(), value);
        match knob {
            QueueKnob::Producers => self.resize_producers(),
            QueueKnob::Consumers => self.resize_consumers(),
            QueueKnob::Capacity => self
                .shared
                .queue
                .set_capacity(self.shared.get(knob) as usize),
            QueueKnob::ProduceInterval
            | QueueKnob::IoWait
            | QueueKnob::CpuWork
            | QueueKnob::Blocking
            | QueueKnob::Offload => {}
        }
    }

    pub fn settings(&self) -> QueueSettings {
        QueueSettings::from_values(&self.shared.knobs.values())
    }

    pub fn counters(&self) -> QueueCounters {
        let shared = &self.shared;
        QueueCounters {
            produced: shared.produced.load(Ordering::Relaxed),
            consumed: shared.consumed.load(Ordering::Relaxed),
            depth: shared.queue.len() as u64,
            capacity: shared.queue.capacity() as u64,
            producers: self.producers.alive() as u64,
            consumers: self.consumers.alive() as u64,
            waiting_producers: shared.queue.waiting_to_push() as u64,
            waiting_consumers: shared.queue.waiting_to_pop() as u64,
            pool_threads: shared
                .pool
                .get()
                .and_then(Option::as_ref)
                .map_or(0, |pool| pool.threads() as u64),
        }
    }

    fn resize_producers(&mut self) {
        let target = self.shared.get(QueueKnob::Producers) as usize;
        let shared = &self.shared;
        self.producers
            .resize(target, |_, token| produce(shared.clone(), token));
    }

    fn resize_consumers(&mut self) {
        let target = self.shared.get(QueueKnob::Consumers) as usize;
        let shared = &self.shared;
        self.consumers
            .resize(target, |index, token| consume(shared.clone(), index, token));
    }
}

async fn produce(shared: Arc<Shared>, cancel: CancellationToken) {
    let mut arrivals = work::Arrivals::default();
    for item in 0u64.. {
        let gap = Duration::from_micros(shared.get(QueueKnob::ProduceInterval));
        if !arrivals.next(gap, &cancel).await {
            return;
        }
        // `biased` polls the push first; the cancellation future is only
        // polled (and registered) when the queue is full.
        tokio::select! {
            biased;
            _ = shared.queue.push(item) => {}
            _ = cancel.cancelled() => return,
        }
        shared.produced.fetch_add(1, Ordering::Relaxed);
    }
}

async fn consume(shared: Arc<Shared>, index: usize, cancel: CancellationToken) {
    loop {
        // Checked before each item: `pop` is ready whenever an item waits,
        // so in a busy queue the `select!` below would never reach the
        // cancellation branch, and a consumer asked to stop would go on.
        if cancel.is_cancelled() {
            return;
        }
        let _item = tokio::select! {
            biased;
            item = shared.queue.pop() => item,
            _ = cancel.cancelled() => return,
        };
        // A consumer that was cancelled mid-item still finishes it: items
        // taken from the queue are never dropped.
        let io_wait = Duration::from_micros(shared.get(QueueKnob::IoWait));
        let cpu = Duration::from_micros(shared.get(QueueKnob::CpuWork));
        let blocking = blocking_consumers(
            shared.get(QueueKnob::Consumers),
            shared.get(QueueKnob::Blocking),
        );
        if (index as u64) < blocking {
            let work = work::Blocking {
                wait: work::jittered(io_wait),
                cpu,
            };
            offload(&shared, work).await;
        } else {
            if io_wait > Duration::ZERO {
                tokio::time::sleep(work::jittered(io_wait)).await;
            } else {
                tokio::task::coop::consume_budget().await;
            }
            if cpu > Duration::ZERO {
                work::burn_cpu(cpu);
            }
        }
        shared.consumed.fetch_add(1, Ordering::Relaxed);
    }
}

/// Runs a blocking consumer's item where the offload knob says.
async fn offload(shared: &Shared, work: work::Blocking) {
    match shared.knobs.choice(QueueKnob::Offload.index()) {
        // The same blocking work on a thread made for it: the worker is
        // free to poll other tasks while this one awaits the result.
        Offload::SpawnBlocking => {
            let _ = tokio::task::spawn_blocking(move || work.run()).await;
        }
        Offload::Pool => match shared.pool.get_or_init(own_pool) {
            Some(pool) => pool.run(move || work.run()).await,
            None => work.run(),
        },
        // In slices, yielding between them: other tasks get the worker
        // every millisecond, though this one still holds it while it works.
        Offload::Yield => work.run_yielding(work::SLICE).await,
        Offload::No => work.run(),
    }
}

/// As many threads as cores, like most CPU pools; `None` if the system
/// refuses threads (then the work runs in the task).
fn own_pool() -> Option<ThreadPool> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    ThreadPool::new(threads, "looptop-pool").ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    use crate::workload::test_support::{eventually, runtime};

    fn wait_for(workload: &QueueWorkload, what: impl Fn(&QueueCounters) -> bool) -> QueueCounters {
        eventually(|| workload.counters(), what)
    }

    #[test]
    fn items_flow_from_producers_to_consumers() {
        let rt = runtime();
        let workload = QueueWorkload::start(rt.handle(), QueueSettings::full_speed());
        let c = wait_for(&workload, |c| c.consumed > 10_000);
        assert!(c.consumed > 10_000, "{c:?}");
        assert!(c.produced >= c.consumed);
        assert!(c.depth <= c.capacity);
    }

    #[test]
    fn resizing_keeps_every_queued_item() {
        let rt = runtime();
        let settings = QueueSettings {
            consumers: 0,
            capacity: 50,
            ..QueueSettings::full_speed()
        };
        let mut workload = QueueWorkload::start(rt.handle(), settings);
        let c = wait_for(&workload, |c| c.depth == 50);
        assert_eq!(c.depth, 50, "producers fill the queue when nobody consumes");

        workload.set(QueueKnob::Producers, 0);
        let c = wait_for(&workload, |c| c.producers == 0);
        assert_eq!(
            (c.producers, c.depth),
            (0, 50),
            "stopping producers keeps the items"
        );

        workload.set(QueueKnob::Consumers, 3);
        let c = wait_for(&workload, |c| c.depth == 0);
        assert_eq!(
            c.consumed, c.produced,
            "every produced item is consumed: {c:?}"
        );
        assert_eq!(c.consumers, 3);
    }

    #[test]
    fn lowering_consumers_of_a_busy_queue_stops_the_extra_ones() {
        let rt = runtime();
        let settings = QueueSettings {
            consumers: 4,
            capacity: 100,
            io_wait_us: 2_000,
            ..QueueSettings::full_speed()
        };
        let mut workload = QueueWorkload::start(rt.handle(), settings);
        let c = wait_for(&workload, |c| c.depth == c.capacity);
        assert_eq!(c.depth, 100, "full, so `pop` is always ready: {c:?}");

        workload.set(QueueKnob::Consumers, 1);
        let c = wait_for(&workload, |c| c.consumers == 1);
        assert_eq!(c.consumers, 1, "the cancelled three end after their item");

        workload.set(QueueKnob::Consumers, 0);
        let stopped = wait_for(&workload, |c| c.consumers == 0);
        assert_eq!(stopped.consumers, 0, "{stopped:?}");
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(
            workload.counters().consumed,
            stopped.consumed,
            "nobody consumes"
        );

        workload.set(QueueKnob::Producers, 0);
        workload.set(QueueKnob::Consumers, 2);
        // An item popped is consumed once its I/O wait is over: wait for
        // the last ones in hand, not only for an empty queue.
        let c = wait_for(&workload, |c| c.producers == 0 && c.consumed == c.produced);
        assert_eq!((c.consumers, c.depth), (2, 0), "{c:?}");
        assert_eq!(c.consumed, c.produced, "no queued item is lost: {c:?}");
    }

    #[test]
    fn producers_keep_the_rate_their_gap_asks_for() {
        let rt = runtime();
        let settings = QueueSettings {
            producers: 40,
            consumers: 4,
            capacity: 100_000,
            produce_interval_us: 10_000,
            io_wait_us: 0,
            ..QueueSettings::full_speed()
        };
        let workload = QueueWorkload::start(rt.handle(), settings);
        let (start, at) = (workload.counters().produced, Instant::now());
        std::thread::sleep(Duration::from_secs(5));
        let produced = workload.counters().produced - start;
        let rate = produced as f64 / at.elapsed().as_secs_f64();
        // 40 producers at a 10 ms mean gap: 4,000/s. Poisson counts over
        // 5 s vary by 0.7% (one sigma); the timer's rounding of each gap
        // used to cost about 9%.
        assert!((3_880.0..=4_120.0).contains(&rate), "{rate:.1} items/s");
    }

    #[test]
    fn shrinking_capacity_blocks_producers_until_drained() {
        let rt = runtime();
        let settings = QueueSettings {
            consumers: 0,
            capacity: 100,
            ..QueueSettings::full_speed()
        };
        let mut workload = QueueWorkload::start(rt.handle(), settings);
        wait_for(&workload, |c| c.depth == 100);
        workload.set(QueueKnob::Capacity, 10);
        let c = workload.counters();
        assert_eq!((c.depth, c.capacity), (100, 10));
        workload.set(QueueKnob::Consumers, 1);
        workload.set(QueueKnob::IoWait, 1_000);
        let c = wait_for(&workload, |c| c.depth <= 10);
        assert!(c.depth <= 10, "{c:?}");
    }
}
