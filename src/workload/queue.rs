//! The producer/consumer workload: the asyncio tutorial's "Using a Queue"
//! program in tokio. Producers put items into a bounded queue; consumers take
//! them out, wait on (simulated) I/O and do some CPU work per item.
//!
//! The blocking knob turns the first consumers' I/O wait into a blocking
//! `std::thread::sleep`, the classic way to stall an event loop; the offload
//! knob moves their blocking wait and CPU work to `spawn_blocking`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

use super::bounded_queue::BoundedQueue;
use super::knob::{self, Knob, LiveSettings, QueueSettings};
use super::task_group::TaskGroup;
use super::work;

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
}

struct Shared {
    queue: BoundedQueue<u64>,
    settings: LiveSettings,
    produced: AtomicU64,
    consumed: AtomicU64,
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
            settings: LiveSettings::new(&settings),
            produced: AtomicU64::new(0),
            consumed: AtomicU64::new(0),
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
    pub fn set(&mut self, knob: Knob, value: u64) {
        self.shared.settings.set(knob, value);
        match knob {
            Knob::Producers => self.resize_producers(),
            Knob::Consumers => self.resize_consumers(),
            Knob::Capacity => self
                .shared
                .queue
                .set_capacity(self.shared.settings.get(knob) as usize),
            Knob::ProduceInterval
            | Knob::IoWait
            | Knob::CpuWork
            | Knob::Blocking
            | Knob::Offload
            | Knob::StallThreshold => {}
        }
    }

    pub fn settings(&self) -> QueueSettings {
        self.shared.settings.snapshot()
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
        }
    }

    fn resize_producers(&mut self) {
        let target = self.shared.settings.get(Knob::Producers) as usize;
        let shared = &self.shared;
        self.producers
            .resize(target, |_, token| produce(shared.clone(), token));
    }

    fn resize_consumers(&mut self) {
        let target = self.shared.settings.get(Knob::Consumers) as usize;
        let shared = &self.shared;
        self.consumers
            .resize(target, |index, token| consume(shared.clone(), index, token));
    }
}

async fn produce(shared: Arc<Shared>, cancel: CancellationToken) {
    for item in 0u64.. {
        let interval = shared.settings.get(Knob::ProduceInterval);
        if interval > 0 {
            let gap = work::exponential(Duration::from_micros(interval));
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(gap) => {}
            }
        } else {
            if cancel.is_cancelled() {
                return;
            }
            // At full speed nothing else would make this loop yield.
            tokio::task::coop::consume_budget().await;
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
        let _item = tokio::select! {
            biased;
            item = shared.queue.pop() => item,
            _ = cancel.cancelled() => return,
        };
        // A consumer that was cancelled mid-item still finishes it: items
        // taken from the queue are never dropped.
        let settings = &shared.settings;
        let io_wait = Duration::from_micros(settings.get(Knob::IoWait));
        let cpu = Duration::from_micros(settings.get(Knob::CpuWork));
        let blocking =
            knob::blocking_consumers(settings.get(Knob::Consumers), settings.get(Knob::Blocking));
        let blocks = (index as u64) < blocking;
        if blocks && settings.get(Knob::Offload) == 1 {
            // The same blocking work, on a thread made for it: the worker
            // is free to poll other tasks while this one awaits the result.
            let _ = tokio::task::spawn_blocking(move || handle_blocking(io_wait, cpu)).await;
        } else if blocks {
            handle_blocking(io_wait, cpu);
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

/// A blocking consumer's item: the wait holds the thread it runs on.
fn handle_blocking(io_wait: Duration, cpu: Duration) {
    if io_wait > Duration::ZERO {
        std::thread::sleep(work::jittered(io_wait));
    }
    if cpu > Duration::ZERO {
        work::burn_cpu(cpu);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    }

    fn wait_for(workload: &QueueWorkload, what: impl Fn(&QueueCounters) -> bool) -> QueueCounters {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let counters = workload.counters();
            if what(&counters) || Instant::now() > deadline {
                return counters;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
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

        workload.set(Knob::Producers, 0);
        let c = wait_for(&workload, |c| c.producers == 0);
        assert_eq!(
            (c.producers, c.depth),
            (0, 50),
            "stopping producers keeps the items"
        );

        workload.set(Knob::Consumers, 3);
        let c = wait_for(&workload, |c| c.depth == 0);
        assert_eq!(
            c.consumed, c.produced,
            "every produced item is consumed: {c:?}"
        );
        assert_eq!(c.consumers, 3);
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
        workload.set(Knob::Capacity, 10);
        let c = workload.counters();
        assert_eq!((c.depth, c.capacity), (100, 10));
        workload.set(Knob::Consumers, 1);
        workload.set(Knob::IoWait, 1_000);
        let c = wait_for(&workload, |c| c.depth <= 10);
        assert!(c.depth <= 10, "{c:?}");
    }
}
