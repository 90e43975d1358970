//! Threads versus tasks as the rest of looptop sees them: their section of
//! a tick, their pane, their summary line.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ui")]
use super::pane;
use super::{ThreadCounters, ThreadsVia, ThreadsVsTasks, THREAD_KNOBS, THREAD_STACK, TOKIO_STACK};
use crate::format;
use crate::sampler::rates::per_second;
use crate::sampler::sections::{SectionReader, WorkloadSample};
use crate::sampler::Snapshot;
use crate::workload::contract::{Counting, Kind, Readings, SummaryPart, Tick};
use crate::workload::knob::{by_name, from_name, Choice};

pub static KIND: Kind = Kind {
    name: "threads-vs-tasks",
    knobs: &THREAD_KNOBS,
    start: |handle, values, _| Ok(Counting::boxed(ThreadsVsTasks::start(handle, values)?)),
    #[cfg(feature = "ui")]
    want: pane::want,
    #[cfg(feature = "ui")]
    draw: pane::draw,
    summary: || Box::<ThreadsSummary>::default(),
    section: SectionReader::of::<ThreadsSample>(),
};

/// The task side's CPU is the runtime's workers': this workload is all
/// they run.
pub(super) fn section(r: Readings<'_, ThreadCounters>, tick: &Tick) -> ThreadsSample {
    let (before, after, elapsed) = (r.before, r.after, r.elapsed);
    let secs = elapsed.as_secs_f64();
    let thread_cpu = (secs > 0.0).then(|| {
        after
            .thread_cpu
            .saturating_sub(before.thread_cpu)
            .as_secs_f64()
            / secs
    });
    let task_rate = per_second(before.task_iterations, after.task_iterations, elapsed);
    let thread_rate = per_second(before.thread_iterations, after.thread_iterations, elapsed);
    let via_std = after.threads_via == ThreadsVia::StdThread;
    ThreadsSample {
        jobs: after.jobs,
        tasks: SideSample {
            running: after.tasks_alive,
            iterations_per_s: task_rate,
            resident_per_job: after.task_memory.bytes,
            measured_over: after.task_memory.over,
            cpu_cores: tick.workers_cpu,
            cpu_per_job_us: cpu_per_job(tick.workers_cpu, task_rate),
        },
        threads: SideSample {
            running: after.threads_running,
            iterations_per_s: thread_rate,
            resident_per_job: after.thread_memory.bytes,
            measured_over: after.thread_memory.over,
            cpu_cores: thread_cpu,
            cpu_per_job_us: cpu_per_job(thread_cpu, thread_rate),
        },
        threads_via: after.threads_via,
        thread_error: after.thread_error.clone(),
        thread_cap: after.thread_cap,
        thread_cap_reason: after.thread_cap_reason.clone(),
        thread_failures: after.thread_failures,
        os_threads: after.os_threads,
        rss_bytes: after.rss_bytes,
        stack_reserved_bytes: if via_std { THREAD_STACK } else { TOKIO_STACK } as u64,
        cpu_demand_cores: after.cpu_demand_cores,
        cores: tick.cores,
    }
}

/// Microseconds of CPU per job done; none while no job is done.
fn cpu_per_job(cores: Option<f64>, jobs_per_s: f64) -> Option<f64> {
    cores
        .filter(|_| jobs_per_s > 0.0)
        .map(|c| c * 1e6 / jobs_per_s)
}

/// The latest section.
#[derive(Debug, Default)]
struct ThreadsSummary(Option<ThreadsSample>);

impl SummaryPart for ThreadsSummary {
    fn add(&mut self, snapshot: &Snapshot) {
        if let Some(t) = snapshot.section::<ThreadsSample>() {
            self.0 = Some(t.clone());
        }
    }

    fn render(&self) -> String {
        self.0.as_ref().map_or_else(String::new, |t| {
            format!(
                "threads  {} jobs each: tasks {} running, {} jobs done/s; threads ({}) {} running, {} jobs done/s (last tick)\n",
                t.jobs,
                t.tasks.running,
                format::count(t.tasks.iterations_per_s),
                t.threads_via.name(),
                t.threads.running,
                format::count(t.threads.iterations_per_s),
            )
        })
    }
}

/// The same jobs as tasks and as threads, side by side.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ThreadsSample {
    /// Jobs asked of each side.
    pub jobs: u64,
    pub tasks: SideSample,
    pub threads: SideSample,
    #[serde(serialize_with = "by_name", deserialize_with = "from_name")]
    pub threads_via: ThreadsVia,
    /// Why a thread could not be started, if one could not.
    pub thread_error: Option<String>,
    /// The most thread jobs looptop starts: half the smallest of the
    /// system's limits on threads, less those running.
    pub thread_cap: u64,
    /// Which limit sets the cap.
    #[serde(default)]
    pub thread_cap_reason: String,
    /// Thread jobs asked for that could not be started, at the last
    /// change (the run goes on with those that did).
    #[serde(default)]
    pub thread_failures: u64,
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

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
