//! Each workload's counters, two readings apart, as one tick's sample.

use std::time::Duration;

use super::rates::{busy_ratio, per_second};
use super::snapshot::{
    ChainSample, QueueSample, RequestsSample, SideSample, StageSample, ThreadsSample,
    TimeoutsSample,
};
use crate::workload::chain::ChainCounters;
use crate::workload::latency::Latency;
use crate::workload::requests::{knobs::MODES as REQUEST_MODES, RequestCounters};
use crate::workload::threads_vs_tasks::{ThreadCounters, THREAD_STACK, TOKIO_STACK, VIAS};
use crate::workload::timeouts::{TimeoutCounters, TimeoutLatencies, MODES};
use crate::workload::QueueCounters;

/// `baseline` holds the totals at the last statistics reset.
pub fn queue(
    before: &QueueCounters,
    after: &QueueCounters,
    baseline: &QueueCounters,
    elapsed: Duration,
) -> QueueSample {
    QueueSample {
        depth: after.depth,
        capacity: after.capacity,
        produced_per_s: per_second(before.produced, after.produced, elapsed),
        consumed_per_s: per_second(before.consumed, after.consumed, elapsed),
        produced_total: after.produced.saturating_sub(baseline.produced),
        consumed_total: after.consumed.saturating_sub(baseline.consumed),
        producers: after.producers,
        consumers: after.consumers,
        waiting_producers: after.waiting_producers,
        waiting_consumers: after.waiting_consumers,
        pool_threads: after.pool_threads,
    }
}

pub fn chain(
    before: &ChainCounters,
    after: &ChainCounters,
    latency: Latency,
    elapsed: Duration,
) -> ChainSample {
    ChainSample {
        produced_per_s: per_second(before.produced, after.produced, elapsed),
        done_per_s: per_second(before.done, after.done, elapsed),
        in_pipeline: after.produced.saturating_sub(after.done),
        latency,
        fanout: after.fanout,
        fanout_concurrent: after.fanout_concurrent,
        stages: after
            .stages
            .iter()
            .enumerate()
            .map(|(i, now)| {
                let then = before.stages.get(i).copied().unwrap_or(*now);
                StageSample {
                    depth: now.depth,
                    capacity: now.capacity,
                    per_s: per_second(then.processed, now.processed, elapsed),
                    busy_ratio: busy_ratio(then.busy, now.busy, elapsed * now.tasks.max(1) as u32),
                }
            })
            .collect(),
    }
}

pub fn timeouts(
    before: &TimeoutCounters,
    after: &TimeoutCounters,
    baseline: &TimeoutCounters,
    latencies: TimeoutLatencies,
    elapsed: Duration,
) -> TimeoutsSample {
    TimeoutsSample {
        mode: MODES.get(after.mode as usize).copied().unwrap_or("?"),
        started_per_s: per_second(before.started, after.started, elapsed),
        finished_per_s: per_second(before.finished, after.finished, elapsed),
        timed_out_per_s: per_second(before.timed_out, after.timed_out, elapsed),
        cancelled_per_s: per_second(before.cancelled, after.cancelled, elapsed),
        finished_total: after.finished.saturating_sub(baseline.finished),
        timed_out_total: after.timed_out.saturating_sub(baseline.timed_out),
        cancelled_total: after.cancelled.saturating_sub(baseline.cancelled),
        latency: latencies.latency,
        first_result: latencies.first_result,
    }
}

/// `workers_cpu`: cores' worth of CPU the runtime's workers got in the tick,
/// which is what the task side cost; `cores`, the machine's.
pub fn threads(
    before: &ThreadCounters,
    after: &ThreadCounters,
    workers_cpu: Option<f64>,
    cores: u64,
    elapsed: Duration,
) -> ThreadsSample {
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
    let via_std = after.threads_via == 1;
    ThreadsSample {
        jobs: after.jobs,
        tasks: SideSample {
            running: after.tasks_alive,
            iterations_per_s: task_rate,
            resident_per_job: after.task_memory.bytes,
            measured_over: after.task_memory.over,
            cpu_cores: workers_cpu,
            cpu_per_job_us: cpu_per_job(workers_cpu, task_rate),
        },
        threads: SideSample {
            running: after.threads_running,
            iterations_per_s: thread_rate,
            resident_per_job: after.thread_memory.bytes,
            measured_over: after.thread_memory.over,
            cpu_cores: thread_cpu,
            cpu_per_job_us: cpu_per_job(thread_cpu, thread_rate),
        },
        threads_via: VIAS.get(after.threads_via as usize).copied().unwrap_or("?"),
        thread_error: after.thread_error.clone(),
        thread_cap: after.thread_cap,
        os_threads: after.os_threads,
        rss_bytes: after.rss_bytes,
        stack_reserved_bytes: if via_std { THREAD_STACK } else { TOKIO_STACK } as u64,
        cpu_demand_cores: after.cpu_demand_cores,
        cores,
    }
}

/// Microseconds of CPU per job done; none while no job is done.
fn cpu_per_job(cores: Option<f64>, jobs_per_s: f64) -> Option<f64> {
    cores
        .filter(|_| jobs_per_s > 0.0)
        .map(|c| c * 1e6 / jobs_per_s)
}

pub fn requests(
    before: &RequestCounters,
    after: &RequestCounters,
    baseline: &RequestCounters,
    latency: Latency,
    elapsed: Duration,
) -> RequestsSample {
    let total = |f: fn(&RequestCounters) -> u64| f(after).saturating_sub(f(baseline));
    RequestsSample {
        mode: REQUEST_MODES
            .get(after.mode as usize)
            .copied()
            .unwrap_or("?"),
        concurrency: after.concurrency,
        target: after.target.clone(),
        sent_per_s: per_second(before.sent, after.sent, elapsed),
        ok_per_s: per_second(before.ok, after.ok, elapsed),
        in_flight: after.in_flight,
        latency,
        sent: total(|c| c.sent),
        ok: total(|c| c.ok),
        client_errors: total(|c| c.client_errors),
        server_errors: total(|c| c.server_errors),
        timeouts: total(|c| c.timeouts),
        connect_errors: total(|c| c.connect_errors),
        other_errors: total(|c| c.other_errors),
        too_large: total(|c| c.too_large),
        cancelled: total(|c| c.cancelled),
        shed: total(|c| c.shed),
        pages_crawled: total(|c| c.pages_crawled),
        links_found: total(|c| c.links_found),
        crawls: total(|c| c.crawls),
        last_crawl_pages: after.last_crawl_pages,
        out_of_files: total(|c| c.out_of_files),
        open_files_limit: after.open_files_limit,
        backing_off: after.backing_off,
        site_cpu_cores: match (before.site_cpu, after.site_cpu) {
            (Some(b), Some(a)) if !elapsed.is_zero() => {
                Some(a.saturating_sub(b).as_secs_f64() / elapsed.as_secs_f64())
            }
            _ => None,
        },
        site_connections: after.site_connections,
    }
}
