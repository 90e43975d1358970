//! One tick of what the runtime and the workloads did: rates and gauges,
//! never cumulative counters. Everything the panes draw and headless mode
//! prints. Each workload's own part is its section, of a type its report
//! defines (`workload/*/report.rs`).

use serde::{Deserialize, Serialize};

pub use super::sections::{Sections, WorkloadSample};
pub use crate::stall::cause::Cause;
pub use crate::workload::latency::Latency;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Ticks since start (or since the last statistics reset).
    pub tick: u64,
    pub uptime_s: f64,
    /// The measured length of this tick.
    pub interval_s: f64,
    pub runtime: RuntimeSample,
    pub workers: Vec<WorkerSample>,
    /// Counted by the poll hooks; null where not measured (a runtime built
    /// without `tokio_unstable` has no hooks).
    pub poll_times: Option<Distribution>,
    /// How long tasks waited between being woken and being polled; null
    /// without `tokio_unstable`.
    pub schedule_delay: Option<Distribution>,
    /// One section per workload the scenario runs, each under its key.
    #[serde(flatten)]
    pub sections: Sections,
    /// Null without `tokio_unstable`: the poll hooks that time long polls
    /// are tokio's unstable API.
    pub stalls: Option<StallSample>,
    /// Problems seen now, in the order they began.
    pub warnings: Vec<Warning>,
}

impl Snapshot {
    /// Tick `t` of a quarter second, with these warnings and nothing else:
    /// for tests of what follows the warnings.
    #[cfg(test)]
    pub(crate) fn warned(t: u64, kinds: &[WarningKind]) -> Self {
        let warnings = kinds.iter().map(|&kind| Warning {
            kind,
            message: String::new(),
            advice: String::new(),
            since_s: 0.0,
            clearing: false,
        });
        Snapshot {
            tick: t,
            uptime_s: t as f64 * 0.25,
            interval_s: 0.25,
            warnings: warnings.collect(),
            ..Snapshot::default()
        }
    }

    /// A tick with every figure `tokio_unstable` gives measured, at zero:
    /// for tests that set some of them.
    #[cfg(test)]
    pub(crate) fn measured() -> Self {
        Snapshot {
            runtime: RuntimeSample::measured(),
            poll_times: Some(Distribution::default()),
            schedule_delay: Some(Distribution::default()),
            stalls: Some(StallSample::default()),
            ..Snapshot::default()
        }
    }

    /// The long polls, or none where they are not measured.
    pub fn stalls(&self) -> &StallSample {
        static NONE: StallSample = StallSample::EMPTY;
        self.stalls.as_ref().unwrap_or(&NONE)
    }

    /// The section of the workload whose sample `T` is, if it runs.
    pub fn section<T: WorkloadSample>(&self) -> Option<&T> {
        self.sections.get::<T>()
    }

    pub fn section_mut<T: WorkloadSample>(&mut self) -> Option<&mut T> {
        self.sections.get_mut::<T>()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RuntimeSample {
    pub workers: usize,
    pub alive_tasks: usize,
    // The `Option`s are null where not measured: tokio counts them only
    // when built with `--cfg tokio_unstable`.
    pub spawned_per_s: Option<f64>,
    pub completed_per_s: Option<f64>,
    pub polls_per_s: Option<f64>,
    /// Mean over workers, 0..=1.
    pub busy_ratio: f64,
    pub global_queue_depth: usize,
    pub local_queue_depth: Option<usize>,
    pub blocking_threads: Option<usize>,
    pub idle_blocking_threads: Option<usize>,
    pub blocking_queue_depth: Option<usize>,
    /// Times tokio's coop budget made a task yield: a sign of tasks that would
    /// otherwise hog a worker.
    pub forced_yields_per_s: Option<f64>,
    /// Cores' worth of CPU the whole process used this tick (workers, the
    /// blocking pool, the workload's own threads, looptop itself), and the
    /// cores available to it (its CPU affinity, a cgroup's quota rounded
    /// down): when the one nears the other, the machine is the limit, not
    /// the runtime. Null where the OS does not say.
    pub process_cpu_cores: Option<f64>,
    pub cores: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
    /// Null where not measured (without `tokio_unstable`), as are steals
    /// and the local queue.
    pub polls_per_s: Option<f64>,
    pub parks_per_s: f64,
    pub steals_per_s: Option<f64>,
    pub local_queue_depth: Option<usize>,
}

impl RuntimeSample {
    /// Every figure measured, at zero: for tests that set some of them.
    #[cfg(test)]
    pub(crate) fn measured() -> Self {
        RuntimeSample {
            spawned_per_s: Some(0.0),
            completed_per_s: Some(0.0),
            polls_per_s: Some(0.0),
            local_queue_depth: Some(0),
            blocking_threads: Some(0),
            idle_blocking_threads: Some(0),
            blocking_queue_depth: Some(0),
            forced_yields_per_s: Some(0.0),
            ..RuntimeSample::default()
        }
    }
}

/// One tick's worth of durations from a log-scale histogram: how long
/// polls took, or how long woken tasks waited to be polled (timed by tokio),
/// both counted by the poll hooks. Values are the upper bounds of log-scale
/// buckets (within 25%), in microseconds, except a maximum known exactly
/// (`max_exact`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
    /// One of `distribution::BINS`' labels.
    pub label: &'static str,
    pub count: u64,
}

/// Read back with its label as one of `BINS`' own.
impl<'de> Deserialize<'de> for Bin {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Read {
            label: String,
            count: u64,
        }
        let read = Read::deserialize(d)?;
        let label = super::distribution::BINS
            .iter()
            .map(|(known, _)| *known)
            .find(|known| *known == read.label)
            .ok_or_else(|| {
                serde::de::Error::custom(format!("no bin is labelled {:?}", read.label))
            })?;
        Ok(Bin {
            label,
            count: read.count,
        })
    }
}

/// Polls that held a worker for at least the stall threshold.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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

impl StallSample {
    const EMPTY: StallSample = StallSample {
        threshold_us: 0.0,
        long_polls: 0,
        longest_ended_us: None,
        worst: None,
        culprits: Vec::new(),
        running: Vec::new(),
    };
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    pub kind: WarningKind,
    pub message: String,
    pub advice: String,
    /// Uptime when it began, in seconds.
    pub since_s: f64,
    /// Its rule did not fire this tick: it stays a moment, so that an
    /// intermittent problem does not flicker, but the figures in its
    /// message are from the last tick the rule fired.
    #[serde(default)]
    pub clearing: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
