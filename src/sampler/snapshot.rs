//! One tick of what the runtime and the workload did: rates and gauges, never
//! cumulative counters. Everything the panes draw and headless mode prints.

use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Snapshot {
    /// Ticks since start (or since the last statistics reset).
    pub tick: u64,
    pub uptime_s: f64,
    /// The measured length of this tick.
    pub interval_s: f64,
    pub runtime: RuntimeSample,
    pub workers: Vec<WorkerSample>,
    pub poll_times: Distribution,
    /// How long tasks waited between being woken and being polled.
    pub schedule_delay: Distribution,
    pub queue: QueueSample,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RuntimeSample {
    pub workers: usize,
    pub alive_tasks: usize,
    pub spawned_per_s: f64,
    pub completed_per_s: f64,
    pub polls_per_s: f64,
    /// Mean over workers, 0..=1.
    pub busy_ratio: f64,
    pub global_queue_depth: usize,
    pub local_queue_depth: usize,
    pub blocking_threads: usize,
    pub idle_blocking_threads: usize,
    pub blocking_queue_depth: usize,
    /// Times tokio's coop budget made a task yield: a sign of tasks that would
    /// otherwise hog a worker.
    pub forced_yields_per_s: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WorkerSample {
    /// Share of the tick this worker spent polling tasks, 0..=1.
    pub busy_ratio: f64,
    pub polls_per_s: f64,
    pub parks_per_s: f64,
    pub steals_per_s: f64,
    pub local_queue_depth: usize,
}

/// One tick's worth of durations from one of tokio's histograms: how long
/// polls took, or how long woken tasks waited to be polled. Values are the
/// upper bounds of log-scale buckets (within 25%), in microseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Distribution {
    pub count: u64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    /// Durations of at least `SLOW` (1 ms): a poll that held its worker, or
    /// a task that waited, that long.
    pub slow: u64,
    pub bins: Vec<Bin>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Bin {
    pub label: &'static str,
    pub count: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct QueueSample {
    pub depth: u64,
    pub capacity: u64,
    pub produced_per_s: f64,
    pub consumed_per_s: f64,
    /// Since start or the last statistics reset.
    pub produced_total: u64,
    pub consumed_total: u64,
    /// Tasks alive, including cancelled ones finishing their item.
    pub producers: u64,
    pub consumers: u64,
}
