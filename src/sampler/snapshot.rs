//! One tick of what the runtime and the workload did: rates and gauges, never
//! cumulative counters. Everything the panes draw and headless mode prints.

use serde::Serialize;

pub use super::sections::{Sections, WorkloadSample};
pub use crate::stall::cause::Cause;
use crate::workload::knob::by_name;
pub use crate::workload::latency::Latency;
pub use crate::workload::requests::knobs::Mode as RequestMode;
pub use crate::workload::threads_vs_tasks::ThreadsVia;
pub use crate::workload::timeouts::CancelBy;

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
    /// One section per workload the scenario runs, each under its key.
    #[serde(flatten)]
    pub sections: Sections,
    pub stalls: StallSample,
    /// Problems seen now, in the order they began.
    pub warnings: Vec<Warning>,
}

impl Snapshot {
    /// The section of the workload whose sample `T` is, if it runs.
    pub fn section<T: WorkloadSample>(&self) -> Option<&T> {
        self.sections.get::<T>()
    }

    pub fn section_mut<T: WorkloadSample>(&mut self) -> Option<&mut T> {
        self.sections.get_mut::<T>()
    }
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
    /// Cores' worth of CPU the whole process used this tick (workers, the
    /// blocking pool, the workload's own threads, looptop itself), and the
    /// cores available to it (its CPU affinity, a cgroup's quota rounded
    /// down): when the one nears the other, the machine is the limit, not
    /// the runtime. Null where the OS does not say.
    pub process_cpu_cores: Option<f64>,
    pub cores: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WorkerSample {
    /// Share of the tick this worker spent polling tasks, 0..=1.
    pub busy_ratio: f64,
    /// Share of a core the OS gave this worker's thread in the tick, 0..=1;
    /// null where it cannot be read. Below `busy_ratio` when the thread was
    /// in a poll but off its core: waiting in the kernel, or for a core.
    pub cpu_ratio: Option<f64>,
    /// In one poll for this long, past the stall threshold, right now.
    /// tokio publishes a worker's busy time only between polls, so without
    /// this a blocked worker would read as idle.
    pub blocked_us: Option<f64>,
    pub polls_per_s: f64,
    pub parks_per_s: f64,
    pub steals_per_s: f64,
    pub local_queue_depth: usize,
}

/// One tick's worth of durations from one of tokio's histograms: how long
/// polls took, or how long woken tasks waited to be polled. Values are the
/// upper bounds of log-scale buckets (within 25%), in microseconds, except
/// a maximum known exactly (`max_exact`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Distribution {
    pub count: u64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    /// The maximum is a measured duration (a long poll the hooks timed),
    /// not its bucket's upper bound.
    pub max_exact: bool,
    /// The lower bound of the maximum's bucket.
    #[serde(skip)]
    pub max_floor_us: f64,
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
    pub waiting_producers: u64,
    pub waiting_consumers: u64,
    /// Threads of the queue's own pool (offload = pool): OS threads that
    /// are neither workers nor tokio's blocking threads.
    pub pool_threads: u64,
}

impl WorkloadSample for QueueSample {
    const KEY: &'static str = "queue";
}

/// Polls that held a worker for at least the stall threshold.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StallSample {
    pub threshold_us: f64,
    /// Long polls that ended this tick.
    pub long_polls: u64,
    /// The longest of them, timed exactly.
    pub longest_ended_us: Option<f64>,
    /// This tick's longest poll over the threshold, ended or still running.
    pub worst: Option<Stall>,
    /// Long polls of the last minute by spawn location, longest first.
    pub culprits: Vec<Culprit>,
    /// Polls over the threshold still running, one per blocked worker.
    pub running: Vec<Stall>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stall {
    pub task: String,
    /// Where the task was spawned, file:line.
    pub location: String,
    pub worker: usize,
    pub duration_us: f64,
    /// Still polling when sampled: the worker is blocked right now.
    pub running: bool,
    /// Computing or blocked in the kernel, as the worker's thread showed
    /// while the poll ran; unknown for a poll that ended between ticks.
    pub cause: Cause,
    /// The system call a blocked poll's thread was in.
    pub syscall: Option<String>,
    /// Share of a core the thread got over the last tick of the poll.
    pub cpu_share: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Culprit {
    pub location: String,
    /// The task of the longest poll.
    pub task: String,
    pub count: u64,
    pub longest_us: f64,
    /// The cause of the longest of its polls whose cause is known.
    pub cause: Cause,
    pub syscall: Option<String>,
}

/// A problem named in plain words while it lasts, with what to try.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Warning {
    pub kind: WarningKind,
    pub message: String,
    pub advice: String,
    /// Uptime when it began, in seconds.
    pub since_s: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    BlockedWorker,
    Saturated,
    Backpressure,
    Starvation,
    SchedulingDelay,
    BlockingPool,
    OutOfFiles,
    RequestErrors,
    PipelineFull,
}

impl WarningKind {
    /// The name JSON uses.
    pub fn name(self) -> &'static str {
        match self {
            WarningKind::BlockedWorker => "blocked_worker",
            WarningKind::Saturated => "saturated",
            WarningKind::Backpressure => "backpressure",
            WarningKind::Starvation => "starvation",
            WarningKind::SchedulingDelay => "scheduling_delay",
            WarningKind::BlockingPool => "blocking_pool",
            WarningKind::OutOfFiles => "out_of_files",
            WarningKind::RequestErrors => "request_errors",
            WarningKind::PipelineFull => "pipeline_full",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_names_match_the_json() {
        for kind in [
            WarningKind::BlockedWorker,
            WarningKind::Saturated,
            WarningKind::Backpressure,
            WarningKind::Starvation,
            WarningKind::SchedulingDelay,
            WarningKind::BlockingPool,
            WarningKind::OutOfFiles,
            WarningKind::RequestErrors,
            WarningKind::PipelineFull,
        ] {
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json.as_str(), Some(kind.name()));
        }
    }
}

/// The pipeline: items in and out, their end-to-end latency, each stage.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ChainSample {
    pub produced_per_s: f64,
    pub done_per_s: f64,
    /// Items between the source and the end.
    pub in_pipeline: u64,
    /// From entering the first stage's queue to leaving the last stage.
    pub latency: Latency,
    pub fanout: u64,
    pub fanout_concurrent: bool,
    pub stages: Vec<StageSample>,
}

impl WorkloadSample for ChainSample {
    const KEY: &'static str = "chain";
}

impl ChainSample {
    /// The stage that holds the pipeline back, by index: the last whose
    /// input queue is full (those before it fill because it cannot keep
    /// up), or else the busiest, if it is busy at least half the time.
    pub fn bottleneck(&self) -> Option<usize> {
        let full = self.stages.iter().rposition(|s| s.depth >= s.capacity);
        full.or_else(|| {
            self.stages
                .iter()
                .enumerate()
                .filter(|(_, s)| s.busy_ratio >= 0.5)
                .max_by(|(_, a), (_, b)| a.busy_ratio.total_cmp(&b.busy_ratio))
                .map(|(i, _)| i)
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StageSample {
    /// Items waiting in the stage's input queue.
    pub depth: u64,
    pub capacity: u64,
    pub per_s: f64,
    /// Share of the stage's task time spent on items, 0..=1.
    pub busy_ratio: f64,
}

/// Rounds of requests against a deadline: what finished, what timed out,
/// what was cancelled.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TimeoutsSample {
    #[serde(serialize_with = "by_name")]
    pub mode: CancelBy,
    pub started_per_s: f64,
    pub finished_per_s: f64,
    pub timed_out_per_s: f64,
    pub cancelled_per_s: f64,
    /// Since start or the last statistics reset.
    pub finished_total: u64,
    pub timed_out_total: u64,
    pub cancelled_total: u64,
    /// Of finished requests, from the start of their round.
    pub latency: Latency,
    /// From the start of a round to its first result.
    pub first_result: Latency,
}

impl WorkloadSample for TimeoutsSample {
    const KEY: &'static str = "timeouts";
}

/// The same jobs as tasks and as threads, side by side.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ThreadsSample {
    /// Jobs asked of each side.
    pub jobs: u64,
    pub tasks: SideSample,
    pub threads: SideSample,
    #[serde(serialize_with = "by_name")]
    pub threads_via: ThreadsVia,
    /// Why a thread could not be started, if one could not.
    pub thread_error: Option<String>,
    /// The most thread jobs looptop starts: half the smallest of the
    /// system's limits on threads, less those running.
    pub thread_cap: u64,
    /// The whole process's OS threads and resident memory.
    pub os_threads: u64,
    pub rss_bytes: u64,
    /// Address space each thread reserves for its stack: reserved, not
    /// resident (the OS backs only the pages a thread touches).
    pub stack_reserved_bytes: u64,
    /// Cores' worth of CPU each side's jobs ask for, and the machine's
    /// cores: past them, the OS shares the cores out per thread.
    pub cpu_demand_cores: f64,
    pub cores: u64,
}

impl WorkloadSample for ThreadsSample {
    const KEY: &'static str = "threads_vs_tasks";
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SideSample {
    /// Jobs running now (thread jobs beyond the blocking pool's limit wait).
    pub running: u64,
    pub iterations_per_s: f64,
    /// Resident memory one job adds, measured as the process grew when
    /// the side last got more jobs; null until then.
    pub resident_per_job: Option<u64>,
    /// The jobs that figure was measured over.
    pub measured_over: u64,
    /// Cores' worth of CPU the side got in the tick: the job threads' own
    /// CPU clocks, or the worker threads' (the tasks run nowhere else).
    /// Null where the OS does not say.
    pub cpu_cores: Option<f64>,
    /// CPU per job done (wait, wake-up and work): what one costs the
    /// machine, whichever side the OS favoured.
    pub cpu_per_job_us: Option<f64>,
}

/// HTTP requests: how many, how fast, how they ended, and the crawl.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RequestsSample {
    #[serde(serialize_with = "by_name")]
    pub mode: RequestMode,
    pub concurrency: u64,
    /// Where requests go: the embedded site or --target.
    pub target: String,
    pub sent_per_s: f64,
    pub ok_per_s: f64,
    pub in_flight: u64,
    /// Of answered and timed-out requests, a timed-out one at its timeout
    /// and a shed one when it was due: from the scheduled time in the open
    /// loop, from sending otherwise.
    pub latency: Latency,
    /// Since start or the last statistics reset.
    pub sent: u64,
    pub ok: u64,
    pub client_errors: u64,
    pub server_errors: u64,
    pub timeouts: u64,
    pub connect_errors: u64,
    pub other_errors: u64,
    /// Answers given up when their body passed the `max_body` knob.
    pub too_large: u64,
    pub cancelled: u64,
    pub shed: u64,
    pub pages_crawled: u64,
    pub links_found: u64,
    pub crawls: u64,
    pub last_crawl_pages: u64,
    /// Connections refused for want of a file descriptor (client or site).
    pub out_of_files: u64,
    /// The process's limit on open files, where the system says.
    pub open_files_limit: Option<u64>,
    /// Requesters waiting before they try again after a failure.
    pub backing_off: u64,
    /// The embedded site's side: the cores' worth of CPU its thread used
    /// this tick, and the connections open to it; null with --target.
    pub site_cpu_cores: Option<f64>,
    pub site_connections: Option<u64>,
}

impl WorkloadSample for RequestsSample {
    const KEY: &'static str = "requests";
}
