//! Chained coroutines: items pass through a pipeline of stages joined by
//! bounded queues, each stage a few tasks that wait and compute per item.
//! The second stage fans out to sub-requests, awaited together (join_all)
//! or one after another. The tutorial's "chain" of coroutines, at scale.

pub mod knobs;
#[cfg(feature = "ui")]
pub mod pane;
pub mod report;

use crate::workload::contract::{Counted, Readings, Tick};
use report::ChainSample;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

use crate::workload::bounded_queue::BoundedQueue;
use crate::workload::knob::LiveKnobs;
use crate::workload::latency::{Latency, LatencyRecorder};
use crate::workload::task_group::TaskGroup;
use crate::workload::work;
use knobs::*;

const STAGE_NAMES: [&str; MAX_STAGES] = [
    "stage1", "stage2", "stage3", "stage4", "stage5", "stage6", "stage7", "stage8",
];

/// Cumulative figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChainCounters {
    pub produced: u64,
    pub done: u64,
    /// The stages in use.
    pub stages: Vec<StageCounters>,
    pub fanout: u64,
    pub fanout_concurrent: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StageCounters {
    pub processed: u64,
    /// Items waiting in the stage's input queue.
    pub depth: u64,
    pub capacity: u64,
    /// Time spent on items so far (items finish before they count), and
    /// the tasks that could spend it.
    pub busy: Duration,
    pub tasks: u64,
}

struct Shared {
    knobs: LiveKnobs,
    /// `queues[i]` feeds stage i.
    queues: Vec<BoundedQueue<Instant>>,
    processed: Vec<AtomicU64>,
    busy_ns: Vec<AtomicU64>,
    produced: AtomicU64,
    done: AtomicU64,
    latency: LatencyRecorder,
}

impl Shared {
    fn get(&self, index: usize) -> u64 {
        self.knobs.get(index)
    }

    fn stage_time(&self, stage: usize, offset: usize) -> Duration {
        Duration::from_micros(self.get(FIRST_STAGE_KNOB + 2 * stage + offset))
    }
}

pub struct ChainWorkload {
    shared: Arc<Shared>,
    source: TaskGroup,
    stages: Vec<TaskGroup>,
}

impl ChainWorkload {
    pub fn start(handle: &Handle, values: &[u64]) -> Self {
        let knobs = LiveKnobs::new(&CHAIN_KNOBS, values);
        let capacity = knobs.get(CAPACITY) as usize;
        let shared = Arc::new(Shared {
            queues: (0..MAX_STAGES)
                .map(|_| BoundedQueue::new(capacity))
                .collect(),
            processed: (0..MAX_STAGES).map(|_| AtomicU64::new(0)).collect(),
            busy_ns: (0..MAX_STAGES).map(|_| AtomicU64::new(0)).collect(),
            produced: AtomicU64::new(0),
            done: AtomicU64::new(0),
            latency: LatencyRecorder::default(),
            knobs,
        });
        let mut workload = Self {
            source: TaskGroup::new(handle.clone(), "source"),
            stages: STAGE_NAMES
                .iter()
                .map(|name| TaskGroup::new(handle.clone(), name))
                .collect(),
            shared,
        };
        let shared = &workload.shared;
        workload
            .source
            .resize(1, |_, token| source(shared.clone(), token));
        workload.resize_stages();
        workload
    }

    /// Takes the end-to-end latencies recorded since the last call: once a
    /// tick, by the sampler.
    pub fn take_latency(&mut self) -> Latency {
        self.shared.latency.take()
    }

    /// Stages in use get `width` tasks; the others none. A stage taken out
    /// of use passes on what is left in its queue before its tasks end.
    fn resize_stages(&mut self) {
        let in_use = self.shared.get(STAGES) as usize;
        let width = self.shared.get(WIDTH) as usize;
        for (i, group) in self.stages.iter_mut().enumerate() {
            let target = if i < in_use { width } else { 0 };
            let shared = &self.shared;
            group.resize(target, |_, token| stage(shared.clone(), i, token));
        }
    }
}

impl Counted for ChainWorkload {
    type Counts = ChainCounters;
    type Sample = ChainSample;

    fn set(&mut self, index: usize, value: u64) {
        self.shared.knobs.set(index, value);
        match index {
            STAGES | WIDTH => self.resize_stages(),
            CAPACITY => {
                for queue in &self.shared.queues {
                    queue.set_capacity(self.shared.get(CAPACITY) as usize);
                }
            }
            _ => {}
        }
    }

    fn values(&self) -> Vec<u64> {
        self.shared.knobs.values()
    }

    fn counters(&self) -> ChainCounters {
        let shared = &self.shared;
        let in_use = shared.get(STAGES) as usize;
        ChainCounters {
            produced: shared.produced.load(Ordering::Relaxed),
            done: shared.done.load(Ordering::Relaxed),
            stages: (0..in_use.min(MAX_STAGES))
                .map(|i| StageCounters {
                    processed: shared.processed[i].load(Ordering::Relaxed),
                    depth: shared.queues[i].len() as u64,
                    capacity: shared.queues[i].capacity() as u64,
                    busy: Duration::from_nanos(shared.busy_ns[i].load(Ordering::Relaxed)),
                    tasks: self.stages[i].alive() as u64,
                })
                .collect(),
            fanout: shared.get(FANOUT),
            fanout_concurrent: shared.knobs.choice::<FanoutMode>(FANOUT_MODE)
                == FanoutMode::Concurrent,
        }
    }

    fn section(&mut self, readings: Readings<'_, ChainCounters>, tick: &Tick) -> ChainSample {
        report::section(self, readings, tick)
    }
}

async fn source(shared: Arc<Shared>, cancel: CancellationToken) {
    let mut arrivals = work::Arrivals::default();
    loop {
        let gap = Duration::from_micros(shared.get(SOURCE_GAP));
        if !arrivals.next(gap, &cancel).await {
            return;
        }
        tokio::select! {
            biased;
            _ = shared.queues[0].push(Instant::now()) => {}
            _ = cancel.cancelled() => return,
        }
        shared.produced.fetch_add(1, Ordering::Relaxed);
    }
}

async fn stage(shared: Arc<Shared>, index: usize, cancel: CancellationToken) {
    loop {
        // Checked before each item: `pop` is ready whenever an item waits,
        // so in a busy queue the `select!` would never see the cancellation.
        if cancel.is_cancelled() {
            break;
        }
        let born = tokio::select! {
            biased;
            item = shared.queues[index].pop() => item,
            _ = cancel.cancelled() => break,
        };
        process(&shared, index, born).await;
    }
    // A stage that only lost width leaves its queue to the tasks that stay;
    // one taken out of use passes on what is queued, so nothing is stranded.
    if index >= shared.get(STAGES) as usize {
        finish_stranded(&shared, index);
    }
}

/// Ends the items left in a stage out of use: the pipeline now ends before
/// it, so they have reached the end.
fn finish_stranded(shared: &Shared, index: usize) {
    while let Some(born) = shared.queues[index].try_pop() {
        shared.done.fetch_add(1, Ordering::Relaxed);
        shared.latency.record(born.elapsed());
    }
}

async fn process(shared: &Shared, index: usize, born: Instant) {
    let started = Instant::now();
    let wait = shared.stage_time(index, 0);
    if wait > Duration::ZERO {
        tokio::time::sleep(work::jittered(wait)).await;
    }
    if index + 1 == FANOUT_STAGE {
        fan_out(shared).await;
    }
    let cpu = shared.stage_time(index, 1);
    if cpu > Duration::ZERO {
        work::burn_cpu(cpu);
    }
    let took = started.elapsed().as_nanos() as u64;
    shared.busy_ns[index].fetch_add(took, Ordering::Relaxed);
    shared.processed[index].fetch_add(1, Ordering::Relaxed);
    let in_use = shared.get(STAGES) as usize;
    if index + 1 < in_use {
        // Waits while the next stage's queue is full: backpressure.
        shared.queues[index + 1].push(born).await;
        // That stage may have been taken out of use meanwhile, its tasks
        // gone after draining its queue: then no one else would.
        if index + 1 >= shared.get(STAGES) as usize {
            finish_stranded(shared, index + 1);
        }
    } else {
        shared.done.fetch_add(1, Ordering::Relaxed);
        shared.latency.record(born.elapsed());
    }
}

/// `asyncio.gather` or one `await` after another: the same sub-requests,
/// together or in turn.
async fn fan_out(shared: &Shared) {
    let n = shared.get(FANOUT) as usize;
    let wait = Duration::from_micros(shared.get(FANOUT_WAIT));
    // Even a zero sleep waits for the timer's next millisecond tick; a zero
    // wait takes no time here, as it does in the stages.
    if wait.is_zero() {
        return;
    }
    let request = || tokio::time::sleep(work::jittered(wait));
    if shared.knobs.choice::<FanoutMode>(FANOUT_MODE) == FanoutMode::Concurrent {
        join_all((0..n).map(|_| request())).await;
    } else {
        for _ in 0..n {
            request().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::knob::defaults;

    use crate::workload::test_support::{eventually, runtime};

    /// Waits up to 10 s for `done`; the counters when it held or time ran out.
    fn wait_for(chain: &ChainWorkload, done: impl Fn(&ChainCounters) -> bool) -> ChainCounters {
        eventually(|| chain.counters(), done)
    }

    /// Every stage without waits or work, so items move as fast as tasks
    /// hand them on.
    fn instant_stages() -> Vec<u64> {
        let mut values = defaults(&CHAIN_KNOBS);
        values[FIRST_STAGE_KNOB..].fill(0);
        values[FANOUT_WAIT] = 0;
        values
    }

    #[test]
    fn narrowing_a_busy_stage_keeps_it_working() {
        let rt = runtime();
        let mut values = instant_stages();
        values[STAGES] = 3;
        values[SOURCE_GAP] = 0;
        values[CAPACITY] = 8;
        // Stage 3 is slow, so the queues before it stay full.
        values[FIRST_STAGE_KNOB + 4] = 1_000;
        let mut chain = ChainWorkload::start(rt.handle(), &values);
        let c = wait_for(&chain, |c| c.stages[2].depth == 8);
        assert_eq!(c.stages[2].depth, 8, "{c:?}");
        chain.set(WIDTH, 1);
        let c = wait_for(&chain, |c| c.stages.iter().all(|s| s.tasks == 1));
        assert!(c.stages.iter().all(|s| s.tasks == 1), "{c:?}");
        let before = c.stages[2].processed;
        let c = wait_for(&chain, |c| c.stages[2].processed > before + 50);
        assert!(
            c.stages[2].processed > before + 50,
            "the stage goes on with one task: {c:?}"
        );
    }

    #[test]
    fn no_item_is_stranded_when_stages_come_and_go() {
        let rt = runtime();
        let mut values = instant_stages();
        values[STAGES] = 8;
        values[SOURCE_GAP] = 0;
        values[CAPACITY] = 1;
        values[WIDTH] = 2;
        // Stages 4 to 8 compute a little, so the queues before them fill
        // and stage 3's tasks wait to push into stage 4 when it goes.
        for stage in 3..MAX_STAGES {
            values[FIRST_STAGE_KNOB + 2 * stage + 1] = 100;
        }
        let mut chain = ChainWorkload::start(rt.handle(), &values);
        for round in 0..200 {
            chain.set(STAGES, if round % 2 == 0 { 3 } else { 8 });
            std::thread::sleep(Duration::from_millis(2));
        }
        chain.set(STAGES, 3);
        // One item a second from now on: the pipeline empties between them.
        chain.set(SOURCE_GAP, 1_000_000);
        let c = wait_for(&chain, |c| c.produced == c.done);
        assert!(c.produced > 100, "{c:?}");
        assert_eq!(c.produced, c.done, "every item reaches the end: {c:?}");
    }

    #[test]
    fn items_pass_every_stage_and_sequential_fan_out_is_slower() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut values = defaults(&CHAIN_KNOBS);
        values[STAGES] = 3;
        values[SOURCE_GAP] = 2_000;
        let mut chain = ChainWorkload::start(rt.handle(), &values);
        let deadline = Instant::now() + Duration::from_secs(10);
        while chain.counters().done < 50 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let c = chain.counters();
        assert!(c.done >= 50, "{c:?}");
        assert_eq!(c.stages.len(), 3);
        assert!(c.stages.iter().all(|s| s.processed >= c.done), "{c:?}");
        // A fresh second's worth; reading the counters leaves it be.
        chain.take_latency();
        std::thread::sleep(Duration::from_millis(1000));
        chain.counters();
        let concurrent = chain.take_latency();
        assert!(
            concurrent.count >= 150,
            "about 200 items a second: {concurrent:?}"
        );

        chain.set(FANOUT_MODE, 1);
        std::thread::sleep(Duration::from_millis(1500));
        chain.take_latency(); // drop the latencies of items that straddled the switch
        std::thread::sleep(Duration::from_millis(1000));
        let sequential = chain.take_latency();
        assert!(
            sequential.p50_us > concurrent.p50_us + 10_000.0,
            "four 5 ms sub-requests in turn add about 15 ms: {concurrent:?} then {sequential:?}"
        );
    }
}
