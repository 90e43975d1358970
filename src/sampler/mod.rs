//! The sampler: once per tick, reads the observed runtime's metrics and the
//! workload's counters and turns them into one `Snapshot`. Its cost is
//! O(workers × histogram buckets), never O(tasks).

pub mod distribution;
pub mod history;
pub mod rates;
pub mod sections;
pub mod snapshot;

#[cfg(tokio_unstable)]
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::{Handle, RuntimeMetrics};
#[cfg(tokio_unstable)]
use tokio_metrics::{RuntimeIntervals, RuntimeMonitor};

use crate::cpu_time;
use crate::stall::{duration_histogram, PollTracker};
use distribution::Bucket;
pub use history::History;
use rates::{rate, ThreadCpu, WorkerCounters};
use sections::Sections;
pub use snapshot::Snapshot;
use snapshot::{Distribution, RuntimeSample};

pub struct Sampler {
    metrics: RuntimeMetrics,
    /// tokio-metrics turns the runtime-wide counters (and tokio's poll-time
    /// histogram, where a runtime has it instead of the hooks) into
    /// per-interval deltas; per-worker figures come straight from
    /// `RuntimeMetrics`, which is the only place that has them.
    #[cfg(tokio_unstable)]
    intervals: RuntimeIntervals,
    /// The scheduling-delay buckets' ranges, fixed when the runtime is built.
    #[cfg(tokio_unstable)]
    schedule_delay_ranges: Vec<Range<Duration>>,
    started: Instant,
    last: Reading,
    /// Busy time shown but not yet published by tokio, by worker (see
    /// `rates::worker_samples`).
    busy_credited: Vec<Duration>,
    tick: u64,
    /// Counts poll times, and knows each worker's OS thread, so its CPU
    /// time can be read.
    tracker: Option<Arc<PollTracker>>,
    /// The cores this process may use (affinity, a cgroup's quota).
    cores: u64,
}

struct Reading {
    at: Instant,
    /// The whole process's CPU time.
    process_cpu: Option<Duration>,
    /// Cumulative scheduling-delay counts per bucket, summed over workers,
    /// from tokio's histogram where a runtime has it instead of the hooks
    /// (tokio-metrics 0.5 does not read this histogram).
    #[cfg(tokio_unstable)]
    schedule_delay: Vec<u64>,
    workers: Vec<WorkerCounters>,
    /// Cumulative poll times by `duration_histogram` bucket, as the poll
    /// hooks count them; empty without hooks.
    poll_times: Vec<u64>,
    /// Cumulative scheduling delays by `duration_histogram` bucket, as the
    /// poll hooks count them; empty without hooks.
    schedule_delays: Vec<u64>,
    /// None without `tokio_unstable`.
    spawned: Option<u64>,
    alive: usize,
}

/// The runtime-wide figures only `tokio_unstable` has, for one tick.
#[derive(Default)]
struct Unstable {
    poll_times: Option<Distribution>,
    polls: Option<u64>,
    local_queue_depth: Option<usize>,
    blocking_threads: Option<usize>,
    idle_blocking_threads: Option<usize>,
    blocking_queue_depth: Option<usize>,
    forced_yields: Option<u64>,
}

impl Sampler {
    pub fn new(handle: &Handle) -> Self {
        let metrics = handle.metrics();
        let last = Reading::take(&metrics, None);
        Self {
            #[cfg(tokio_unstable)]
            intervals: {
                let mut intervals = RuntimeMonitor::new(handle).intervals();
                // The first interval covers everything before us; discard it.
                let _ = intervals.next();
                intervals
            },
            #[cfg(tokio_unstable)]
            schedule_delay_ranges: (0..metrics.schedule_latency_histogram_num_buckets())
                .map(|b| metrics.schedule_latency_histogram_bucket_range(b))
                .collect(),
            metrics,
            started: last.at,
            last,
            busy_credited: Vec::new(),
            tick: 0,
            tracker: None,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get() as u64),
        }
    }

    /// Reads the poll times `tracker`'s hooks count, and each worker
    /// thread's CPU time, from the threads it has seen polling (from the
    /// second tick on: a share needs two readings).
    pub fn with_tracker(mut self, tracker: Arc<PollTracker>) -> Self {
        self.last = Reading::take(&self.metrics, Some(&tracker));
        self.tracker = Some(tracker);
        self
    }

    #[cfg(tokio_unstable)]
    fn unstable(&mut self) -> Unstable {
        let interval = self.intervals.next().unwrap_or_default();
        let buckets: Vec<Bucket> = interval
            .poll_time_histogram
            .buckets()
            .iter()
            .map(|b| Bucket {
                start: b.range_start(),
                end: b.range_end(),
                count: b.count(),
            })
            .collect();
        Unstable {
            // Empty where the runtime has tokio's histogram off.
            poll_times: (!buckets.is_empty()).then(|| distribution::summarize(&buckets)),
            polls: Some(interval.total_polls_count),
            local_queue_depth: Some(interval.total_local_queue_depth),
            blocking_threads: Some(interval.blocking_threads_count),
            idle_blocking_threads: Some(interval.idle_blocking_threads_count),
            blocking_queue_depth: Some(interval.blocking_queue_depth),
            forced_yields: Some(interval.budget_forced_yield_count),
        }
    }

    #[cfg(not(tokio_unstable))]
    fn unstable(&mut self) -> Unstable {
        Unstable::default()
    }

    /// This tick's share of one of the hooks' histograms, read cumulative
    /// by `counts` from the last reading and from `now`.
    fn hooked(&self, now: &Reading, counts: fn(&Reading) -> &[u64]) -> Option<Distribution> {
        if counts(now).is_empty() {
            return None;
        }
        let buckets: Vec<Bucket> = counts(now)
            .iter()
            .zip(counts(&self.last))
            .enumerate()
            .map(|(b, (after, before))| {
                let range = duration_histogram::range_of(b);
                Bucket {
                    start: range.start,
                    end: range.end,
                    count: after.saturating_sub(*before),
                }
            })
            .collect();
        Some(distribution::summarize(&buckets))
    }

    /// The delays tokio's own histogram counted, for a runtime that has it
    /// instead of the hooks.
    #[cfg(tokio_unstable)]
    fn schedule_delay(&self, now: &Reading) -> Option<Distribution> {
        if self.schedule_delay_ranges.is_empty() {
            return None; // the runtime has the histogram off
        }
        let buckets: Vec<Bucket> = now
            .schedule_delay
            .iter()
            .zip(&self.last.schedule_delay)
            .zip(&self.schedule_delay_ranges)
            .map(|((after, before), range)| Bucket {
                start: range.start,
                end: range.end,
                count: after.saturating_sub(*before),
            })
            .collect();
        Some(distribution::summarize(&buckets))
    }

    #[cfg(not(tokio_unstable))]
    fn schedule_delay(&self, _: &Reading) -> Option<Distribution> {
        None
    }

    /// One tick of the runtime; the workloads put their sections in after.
    pub fn sample(&mut self) -> Snapshot {
        let now = Reading::take(&self.metrics, self.tracker.as_deref());
        let elapsed = now.at.duration_since(self.last.at);
        let unstable = self.unstable();
        let workers = rates::worker_samples(
            &self.last.workers,
            &now.workers,
            elapsed,
            &mut self.busy_credited,
        );
        let spawned = now
            .spawned
            .zip(self.last.spawned)
            .map(|(after, before)| after.saturating_sub(before));
        let busy_ratio = if workers.is_empty() {
            0.0
        } else {
            workers.iter().map(|w| w.busy_ratio).sum::<f64>() / workers.len() as f64
        };
        let per_s = |events: Option<u64>| events.map(|n| rate(n, elapsed));
        let runtime = RuntimeSample {
            workers: workers.len(),
            alive_tasks: now.alive,
            spawned_per_s: per_s(spawned),
            completed_per_s: per_s(
                spawned.map(|n| rates::completed(n, self.last.alive, now.alive)),
            ),
            // The workers' polls, summed: hooked, the same polls the poll
            // times count.
            polls_per_s: match workers.iter().map(|w| w.polls_per_s).sum::<Option<f64>>() {
                Some(sum) if self.tracker.is_some() => Some(sum),
                _ => per_s(unstable.polls),
            },
            busy_ratio,
            global_queue_depth: self.metrics.global_queue_depth(),
            local_queue_depth: unstable.local_queue_depth,
            blocking_threads: unstable.blocking_threads,
            idle_blocking_threads: unstable.idle_blocking_threads,
            blocking_queue_depth: unstable.blocking_queue_depth,
            forced_yields_per_s: per_s(unstable.forced_yields),
            process_cpu_cores: match (self.last.process_cpu, now.process_cpu) {
                (Some(before), Some(after)) if !elapsed.is_zero() => {
                    Some(after.saturating_sub(before).as_secs_f64() / elapsed.as_secs_f64())
                }
                _ => None,
            },
            cores: self.cores,
        };
        self.tick += 1;
        let snapshot = Snapshot {
            tick: self.tick,
            uptime_s: now.at.duration_since(self.started).as_secs_f64(),
            interval_s: elapsed.as_secs_f64(),
            runtime,
            workers,
            // The hooks' own count where they run (tokio's histogram is
            // then left off, as it costs two clock readings a poll).
            poll_times: self.hooked(&now, |r| &r.poll_times).or(unstable.poll_times),
            schedule_delay: self
                .hooked(&now, |r| &r.schedule_delays)
                .or_else(|| self.schedule_delay(&now)),
            sections: Sections::default(),
            stalls: None,
            warnings: Vec::new(),
        };
        self.last = now;
        snapshot
    }

    /// The latest reading of each worker thread's scheduler counts, by
    /// thread, and when it was read.
    pub fn worker_cpu(&self) -> (Instant, Vec<(u64, cpu_time::Sched)>) {
        let cpu = self
            .last
            .workers
            .iter()
            .filter_map(|w| w.cpu.as_ref())
            .map(|c| {
                let sched = cpu_time::Sched {
                    on_cpu: c.used,
                    waited: c.waited,
                };
                (c.thread, sched)
            })
            .collect();
        (self.last.at, cpu)
    }

    /// Restarts tick numbering.
    pub fn reset(&mut self) {
        self.tick = 0;
    }
}

impl Reading {
    fn take(metrics: &RuntimeMetrics, tracker: Option<&PollTracker>) -> Self {
        let threads = tracker.map(PollTracker::worker_threads).unwrap_or_default();
        let hooked = tracker.filter(|_| crate::stall::tracker::HOOKED);
        // The hooks count every poll, as the poll times do; tokio's count
        // takes a run of polls through the LIFO slot as one.
        let polls = hooked.map(PollTracker::polls_by_worker);
        let workers = (0..metrics.num_workers())
            .map(|w| {
                let unstable = unstable_counters(metrics, w);
                WorkerCounters {
                    busy: metrics.worker_total_busy_duration(w),
                    parks: metrics.worker_park_count(w),
                    park_unpark: metrics.worker_park_unpark_count(w),
                    cpu: threads.get(w).and_then(|&thread| thread_cpu(thread)),
                    polls: polls.as_ref().map_or(unstable.polls, |p| p.get(w).copied()),
                    ..unstable
                }
            })
            .collect();
        Self {
            at: Instant::now(),
            process_cpu: cpu_time::of_process(),
            #[cfg(tokio_unstable)]
            schedule_delay: schedule_delay_counts(metrics),
            workers,
            poll_times: hooked.map(PollTracker::poll_times).unwrap_or_default(),
            schedule_delays: hooked.map(PollTracker::schedule_delays).unwrap_or_default(),
            #[cfg(tokio_unstable)]
            spawned: Some(metrics.spawned_tasks_count()),
            #[cfg(not(tokio_unstable))]
            spawned: None,
            alive: metrics.num_alive_tasks(),
        }
    }
}

/// Worker `w`'s counters that only `tokio_unstable` has.
#[cfg(tokio_unstable)]
fn unstable_counters(metrics: &RuntimeMetrics, w: usize) -> WorkerCounters {
    WorkerCounters {
        polls: Some(metrics.worker_poll_count(w)),
        steals: Some(metrics.worker_steal_count(w)),
        local_queue_depth: Some(metrics.worker_local_queue_depth(w)),
        ..WorkerCounters::default()
    }
}

#[cfg(not(tokio_unstable))]
fn unstable_counters(_: &RuntimeMetrics, _: usize) -> WorkerCounters {
    WorkerCounters::default()
}

#[cfg(tokio_unstable)]
fn schedule_delay_counts(metrics: &RuntimeMetrics) -> Vec<u64> {
    let buckets = metrics.schedule_latency_histogram_num_buckets();
    (0..buckets)
        .map(|b| {
            (0..metrics.num_workers())
                .map(|w| metrics.schedule_latency_histogram_bucket_count(w, b))
                .sum()
        })
        .collect()
}

fn thread_cpu(thread: u64) -> Option<ThreadCpu> {
    cpu_time::sched_of_thread(thread).map(|s| ThreadCpu {
        thread,
        used: s.on_cpu,
        waited: s.waited,
    })
}
