//! Threads versus tasks: the same jobs (each mostly waiting, computing a
//! little) run side by side as async tasks and as threads, either on
//! tokio's blocking pool (`spawn_blocking`) or as plain `std::thread`s.
//! What a user sees is how far each side scales and what each costs.

#[cfg(feature = "ui")]
pub mod pane;
pub mod report;

use crate::workload::contract::{Counted, Readings, Tick};
use report::ThreadsSample;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

use crate::limits::ThreadLimit;
use crate::workload::knob::{Choice, KnobSpec, LiveKnobs, Step, Unit};
use crate::workload::task_group::TaskGroup;
use crate::workload::work;
use crate::{cpu_time, priority};

pub const JOBS: usize = 0;
pub const WAIT: usize = 1;
pub const CPU: usize = 2;
pub const VIA: usize = 3;

/// What starts a thread job.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ThreadsVia {
    /// tokio's blocking pool: at most 512 threads, the rest queue.
    #[default]
    SpawnBlocking,
    /// A thread of its own each.
    StdThread,
}

impl Choice for ThreadsVia {
    const ALL: &'static [Self] = &[Self::SpawnBlocking, Self::StdThread];
    const NAMES: &'static [&'static str] = &["spawn_blocking", "std::thread"];
}

/// Plain threads get a small stack, as a program starting thousands would;
/// tokio's blocking pool uses its default.
pub const THREAD_STACK: usize = 256 * 1024;
pub const TOKIO_STACK: usize = 2 * 1024 * 1024;

pub static THREAD_KNOBS: [KnobSpec; 4] = [
    KnobSpec {
        id: "jobs",
        label: "jobs each",
        range: 1..=1_000_000,
        unit: Unit::Count,
        step: Step::Ladder { first: 1 },
        default: 100,
    },
    KnobSpec {
        id: "wait",
        label: "job wait",
        range: 0..=10_000_000,
        unit: Unit::Micros,
        step: Step::Ladder { first: 100 },
        default: 10_000,
    },
    KnobSpec {
        id: "cpu",
        label: "job CPU",
        range: 0..=1_000_000,
        unit: Unit::Micros,
        step: Step::Ladder { first: 10 },
        default: 20,
    },
    KnobSpec {
        id: "threads_via",
        label: "threads via",
        range: 0..=1,
        unit: Unit::Choice(ThreadsVia::NAMES),
        step: Step::Linear { by: 1 },
        default: 0,
    },
];

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ThreadCounters {
    pub jobs: u64,
    pub task_iterations: u64,
    pub tasks_alive: u64,
    /// Resident memory per job, each side measured the same way; see
    /// `PerJob`.
    pub task_memory: PerJob,
    pub thread_memory: PerJob,
    pub thread_iterations: u64,
    /// CPU time the thread jobs have used, each read from its own thread's
    /// clock (a tenth of a second late at most).
    pub thread_cpu: Duration,
    /// Thread jobs running now; the rest wait for a blocking thread.
    pub threads_running: u64,
    pub threads_via: ThreadsVia,
    /// Why the last thread could not be started, if one could not.
    pub thread_error: Option<String>,
    /// The most thread jobs this process starts, from the system's limits
    /// on threads, and which limit that is.
    pub thread_cap: u64,
    pub thread_cap_reason: String,
    /// Thread jobs asked for that could not be started, at the last change.
    pub thread_failures: u64,
    /// Cores' worth of CPU each side asks for: jobs × CPU / (wait + CPU).
    pub cpu_demand_cores: f64,
    /// The whole process's OS threads and resident memory, read with the
    /// counters.
    pub os_threads: u64,
    pub rss_bytes: u64,
}

/// What one job adds to the process's resident memory: how much it grew
/// when the side last got more jobs, over the jobs added. Measured, so it
/// counts what a job really touches (a task's allocation, a thread's used
/// stack pages and its bookkeeping), not what it reserves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PerJob {
    /// None until the side has grown once.
    pub bytes: Option<u64>,
    /// The jobs the figure was measured over: the more, the steadier.
    pub over: u64,
}

impl PerJob {
    fn measure(before: u64, after: u64, jobs: u64) -> Option<Self> {
        (jobs > 0).then(|| Self {
            // Freed memory the allocator hands out again does not grow the
            // process: then a job costs less than a page, and reads 0.
            bytes: Some(after.saturating_sub(before) / jobs),
            over: jobs,
        })
    }
}

/// Threads take a moment to start and touch their stacks: their memory is
/// read once they run, on a later reading.
struct StartingThreads {
    resident_before: u64,
    running_before: u64,
    target: u64,
    since: Instant,
}

/// Past this, threads that have not started (tokio's blocking pool stops
/// at 512) are left out of the measure.
const THREAD_START_WAIT: Duration = Duration::from_secs(2);

#[derive(Default)]
struct Counts {
    task_iterations: AtomicU64,
    thread_iterations: AtomicU64,
    thread_cpu_ns: AtomicU64,
    threads_running: AtomicU64,
    thread_error: Mutex<Option<String>>,
    thread_failures: AtomicU64,
}

#[derive(Default)]
struct Memory {
    tasks: PerJob,
    threads: PerJob,
    starting: Option<StartingThreads>,
}

pub struct ThreadsVsTasks {
    thread_cap: usize,
    thread_cap_reason: String,
    knobs: Arc<LiveKnobs>,
    counts: Arc<Counts>,
    /// The task jobs alive, counted by the group the starter keeps.
    tasks_alive: Arc<AtomicUsize>,
    memory: Arc<Mutex<Memory>>,
    /// Tells the starter thread how many jobs to run.
    starter: mpsc::Sender<Start>,
}

/// What the starter thread is asked to do.
struct Start {
    tasks: usize,
    threads: usize,
    /// Stop the thread jobs and start them again the current way
    /// (`threads_via`).
    anew: bool,
}

impl ThreadsVsTasks {
    pub fn start(handle: &Handle, values: &[u64]) -> std::io::Result<Self> {
        let knobs = Arc::new(LiveKnobs::new(&THREAD_KNOBS, values));
        let counts = Arc::<Counts>::default();
        let memory = Arc::<Mutex<Memory>>::default();
        let tasks = TaskGroup::new(handle.clone(), "job");
        let tasks_alive = tasks.alive_counter();
        let starter = Starter {
            handle: handle.clone(),
            knobs: knobs.clone(),
            counts: counts.clone(),
            memory: memory.clone(),
            tasks,
            threads: Vec::new(),
        };
        let (tx, rx) = mpsc::channel();
        thread::Builder::new()
            .name("looptop-starter".into())
            .spawn(move || starter.run(rx))?;
        let most = *THREAD_KNOBS[JOBS].range.end();
        let limit = crate::limits::threads_allowed();
        let thread_cap = limit.as_ref().map_or(most, |l| l.allowed.min(most)) as usize;
        let thread_cap_reason = limit.as_ref().map_or_else(
            || "no limit on threads is known here".to_string(),
            ThreadLimit::reason,
        );
        let mut workload = Self {
            thread_cap,
            thread_cap_reason,
            knobs,
            counts,
            tasks_alive,
            memory,
            starter: tx,
        };
        workload.resize(false);
        Ok(workload)
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        lock(&self.memory)
    }

    /// The starter thread spawns or cancels them: a million tasks take
    /// seconds to spawn, which the dashboard's thread must not spend.
    fn resize(&mut self, anew: bool) {
        let _ = self.starter.send(Start {
            tasks: self.knobs.get(JOBS) as usize,
            threads: self.thread_jobs(),
            anew,
        });
    }

    /// The jobs asked for, up to the cap the system's limits set.
    fn thread_jobs(&self) -> usize {
        (self.knobs.get(JOBS) as usize).min(self.thread_cap)
    }
}

impl Counted for ThreadsVsTasks {
    type Counts = ThreadCounters;
    type Sample = ThreadsSample;

    fn set(&mut self, index: usize, value: u64) {
        self.knobs.set(index, value);
        match index {
            JOBS => self.resize(false),
            VIA => self.resize(true),
            _ => {}
        }
    }

    fn values(&self) -> Vec<u64> {
        self.knobs.values()
    }

    fn counters(&self) -> ThreadCounters {
        let c = &self.counts;
        let running = c.threads_running.load(Ordering::Relaxed);
        let mut memory = self.memory();
        let started = memory
            .starting
            .as_ref()
            .is_some_and(|s| running >= s.target || s.since.elapsed() >= THREAD_START_WAIT);
        if started {
            if let Some(s) = memory.starting.take() {
                let jobs = running.saturating_sub(s.running_before);
                if let Some(measured) = PerJob::measure(s.resident_before, resident(), jobs) {
                    memory.threads = measured;
                }
            }
        }
        let (os_threads, rss_bytes) = process_threads_and_rss();
        ThreadCounters {
            jobs: self.knobs.get(JOBS),
            task_iterations: c.task_iterations.load(Ordering::Relaxed),
            tasks_alive: self.tasks_alive.load(Ordering::Relaxed) as u64,
            task_memory: memory.tasks,
            thread_memory: memory.threads,
            thread_iterations: c.thread_iterations.load(Ordering::Relaxed),
            thread_cpu: Duration::from_nanos(c.thread_cpu_ns.load(Ordering::Relaxed)),
            threads_running: running,
            threads_via: self.knobs.choice(VIA),
            thread_error: c.thread_error.lock().ok().and_then(|e| e.clone()),
            thread_cap: self.thread_cap as u64,
            thread_cap_reason: self.thread_cap_reason.clone(),
            thread_failures: c.thread_failures.load(Ordering::Relaxed),
            cpu_demand_cores: {
                let (wait, cpu) = (self.knobs.get(WAIT) as f64, self.knobs.get(CPU) as f64);
                let busy = if cpu > 0.0 { cpu / (wait + cpu) } else { 0.0 };
                self.knobs.get(JOBS) as f64 * busy
            },
            os_threads,
            rss_bytes,
        }
    }

    fn section(&mut self, readings: Readings<'_, ThreadCounters>, tick: &Tick) -> ThreadsSample {
        report::section(readings, tick)
    }
}

fn lock(memory: &Mutex<Memory>) -> std::sync::MutexGuard<'_, Memory> {
    memory
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Starts and stops the thread jobs on a thread of its own, at the
/// workload's priority: starting thousands of threads takes seconds on a
/// busy machine, which the dashboard's thread must not spend, and threads
/// started here take its low priority from their first instruction.
struct Starter {
    handle: Handle,
    knobs: Arc<LiveKnobs>,
    counts: Arc<Counts>,
    memory: Arc<Mutex<Memory>>,
    tasks: TaskGroup,
    /// One stop flag per thread job, oldest first.
    threads: Vec<Arc<AtomicBool>>,
}

impl Starter {
    /// Until the workload is dropped; then every thread job is stopped.
    fn run(mut self, requests: mpsc::Receiver<Start>) {
        priority::lower_this_thread();
        while let Ok(mut request) = requests.recv() {
            // Only the latest count matters; a restart among them stands.
            let mut anew = request.anew;
            while let Ok(next) = requests.try_recv() {
                anew |= next.anew;
                request = next;
            }
            self.resize_tasks(request.tasks);
            if anew {
                self.stop(0);
            }
            self.resize_threads(request.threads);
        }
        self.stop(0);
    }

    /// Measured as they are spawned (spawning allocates each whole).
    fn resize_tasks(&mut self, jobs: usize) {
        let (knobs, counts) = (&self.knobs, &self.counts);
        let (tasks_before, resident_before) = (self.tasks.target(), resident());
        self.tasks.resize(jobs, |_, token| {
            task_job(knobs.clone(), counts.clone(), token)
        });
        let added = jobs.saturating_sub(tasks_before) as u64;
        if let Some(measured) = PerJob::measure(resident_before, resident(), added) {
            lock(&self.memory).tasks = measured;
        }
    }

    /// Threads are measured once they run, on a later reading.
    fn resize_threads(&mut self, jobs: usize) {
        self.stop(jobs);
        let (threads_before, resident_before) = (self.threads.len(), resident());
        let running_before = self.counts.threads_running.load(Ordering::Relaxed);
        while self.threads.len() < jobs {
            let stop = Arc::new(AtomicBool::new(false));
            if let Err(e) = self.start_thread(stop.clone()) {
                if let Ok(mut error) = self.counts.thread_error.lock() {
                    *error = Some(e.to_string());
                }
                break;
            }
            self.threads.push(stop);
        }
        // Counted and shown; the jobs already running go on.
        let short = jobs.saturating_sub(self.threads.len()) as u64;
        self.counts.thread_failures.store(short, Ordering::Relaxed);
        let started = self.threads.len().saturating_sub(threads_before) as u64;
        if started > 0 {
            lock(&self.memory).starting = Some(StartingThreads {
                resident_before,
                running_before,
                target: running_before + started,
                since: Instant::now(),
            });
        }
    }

    fn start_thread(&self, stop: Arc<AtomicBool>) -> std::io::Result<()> {
        let (knobs, counts) = (self.knobs.clone(), self.counts.clone());
        let job = move || thread_job(&knobs, &counts, &stop);
        if self.knobs.choice::<ThreadsVia>(VIA) == ThreadsVia::SpawnBlocking {
            // Beyond the pool's limit (512 threads), jobs queue for a thread.
            self.handle.spawn_blocking(job);
        } else {
            thread::Builder::new()
                .name("looptop-job".into())
                .stack_size(THREAD_STACK)
                .spawn(job)?;
        }
        Ok(())
    }

    /// Stops the newest thread jobs until `keep` remain.
    fn stop(&mut self, keep: usize) {
        for stop in self.threads.drain(keep.min(self.threads.len())..) {
            stop.store(true, Ordering::Relaxed);
        }
    }
}

async fn task_job(knobs: Arc<LiveKnobs>, counts: Arc<Counts>, cancel: CancellationToken) {
    loop {
        let wait = work::jittered(Duration::from_micros(knobs.get(WAIT)));
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        work::burn_cpu(Duration::from_micros(knobs.get(CPU)));
        counts.task_iterations.fetch_add(1, Ordering::Relaxed);
    }
}

fn thread_job(knobs: &LiveKnobs, counts: &Counts, stop: &AtomicBool) {
    counts.threads_running.fetch_add(1, Ordering::Relaxed);
    let mut cpu = CpuAccount::start();
    while !stop.load(Ordering::Relaxed) {
        thread::sleep(work::jittered(Duration::from_micros(knobs.get(WAIT))));
        if !burn_unless_stopped(Duration::from_micros(knobs.get(CPU)), stop) {
            break;
        }
        counts.thread_iterations.fetch_add(1, Ordering::Relaxed);
        cpu.every(CPU_REPORT, &counts.thread_cpu_ns);
    }
    cpu.every(Duration::ZERO, &counts.thread_cpu_ns);
    counts.threads_running.fetch_sub(1, Ordering::Relaxed);
}

/// Computes for `cpu` of CPU time in slices, looking at `stop` between
/// them; false if stopped first. Thousands of threads a second into their
/// work would otherwise go on computing long after the workload ends.
fn burn_unless_stopped(cpu: Duration, stop: &AtomicBool) -> bool {
    const SLICE: Duration = Duration::from_millis(10);
    let mut owed = cpu;
    while !owed.is_zero() {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        let slice = owed.min(SLICE);
        work::burn_cpu(slice);
        owed -= slice;
    }
    true
}

/// A thread job reports its CPU time this often: reading the thread's CPU
/// clock is a system call, too dear for every iteration of a short job.
const CPU_REPORT: Duration = Duration::from_millis(100);

/// The CPU time one thread has used since it last reported it.
struct CpuAccount {
    reported: Option<Duration>,
    at: Instant,
}

impl CpuAccount {
    fn start() -> Self {
        Self {
            reported: cpu_time::this_thread(),
            at: Instant::now(),
        }
    }

    /// Adds the CPU time used since the last report to `total`, if `every`
    /// has passed since.
    fn every(&mut self, every: Duration, total: &AtomicU64) {
        if self.at.elapsed() < every {
            return;
        }
        let (Some(before), Some(now)) = (self.reported, cpu_time::this_thread()) else {
            return;
        };
        total.fetch_add(
            now.saturating_sub(before).as_nanos() as u64,
            Ordering::Relaxed,
        );
        (self.reported, self.at) = (Some(now), Instant::now());
    }
}

/// The process's resident memory in bytes (Linux); zero elsewhere.
fn resident() -> u64 {
    process_threads_and_rss().1
}

/// The process's OS threads and resident memory, from /proc (Linux); zero
/// where there is no /proc.
pub fn process_threads_and_rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (field("Threads:"), field("VmRSS:") * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::knob::defaults;

    #[test]
    fn both_sides_run_the_same_jobs() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        for via in [0, 1] {
            let mut values = defaults(&THREAD_KNOBS);
            values[JOBS] = 20;
            values[VIA] = via;
            let mut w = ThreadsVsTasks::start(rt.handle(), &values).unwrap();
            std::thread::sleep(Duration::from_millis(500));
            let c = w.counters();
            assert_eq!((c.tasks_alive, c.threads_running), (20, 20), "{c:?}");
            assert!(
                c.task_iterations > 200 && c.thread_iterations > 200,
                "{c:?}"
            );
            assert_eq!(
                (c.task_memory.over, c.thread_memory.over),
                (20, 20),
                "{c:?}"
            );
            w.set(JOBS, 5);
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while w.counters().threads_running > 5 && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            assert_eq!(w.counters().threads_running, 5, "stopped threads end");
        }
        let (threads, rss) = process_threads_and_rss();
        assert!(threads > 2 && rss > 0);
    }

    #[test]
    fn thread_jobs_stop_at_the_cap_and_mid_computation_when_asked() {
        let rt = crate::workload::test_support::runtime();
        let mut values = defaults(&THREAD_KNOBS);
        (values[JOBS], values[VIA], values[CPU]) = (1, 1, 1_000_000);
        let mut w = ThreadsVsTasks::start(rt.handle(), &values).unwrap();
        w.thread_cap = 5;
        w.set(JOBS, 20);
        let settled = |w: &ThreadsVsTasks, want: u64| {
            let running = || w.counters().threads_running;
            crate::workload::test_support::eventually(running, |&n| n == want)
        };
        assert_eq!(settled(&w, 5), 5, "20 asked, 5 allowed");
        assert_eq!(w.counters().thread_cap, 5);
        // Each is into a second of CPU work; the four stopped do not
        // finish theirs (they report their CPU time as they end).
        std::thread::sleep(Duration::from_millis(100));
        w.set(JOBS, 1);
        assert_eq!(settled(&w, 1), 1);
        let cpu = w.counters().thread_cpu;
        assert!(cpu < Duration::from_secs(4), "{cpu:?}");
    }
}
