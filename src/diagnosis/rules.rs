//! One rule per problem: each looks at the latest ticks (oldest first) and,
//! if it sees its problem, says what it is and what to try.

use crate::format;
use crate::sampler::snapshot::{Cause, WarningKind};
use crate::sampler::Snapshot;
use crate::workload::chain::report::ChainSample;
use crate::workload::queue::report::QueueSample;
use crate::workload::requests::report::RequestsSample;

/// Ticks a sustained condition must last before it is called a problem:
/// one slow tick is noise, a second of them is not (at the default tick).
pub const SUSTAINED: usize = 4;
/// Busy share above which a worker counts as saturated.
pub const SATURATED: f64 = 0.95;

pub struct Found {
    pub kind: WarningKind,
    pub message: String,
    pub advice: &'static str,
}

/// A rule reads the latest ticks, oldest first.
pub type Rule = fn(&[Snapshot]) -> Option<Found>;

pub const RULES: [Rule; 9] = [
    blocked_worker,
    saturated,
    backpressure,
    starvation,
    scheduling_delay,
    blocking_pool,
    out_of_files,
    request_errors,
    pipeline_full,
];

/// A poll at least the stall threshold long, ended this tick or running,
/// with what its thread was doing: computing, or blocked in the kernel.
fn blocked_worker(recent: &[Snapshot]) -> Option<Found> {
    let latest = recent.last()?;
    let stalls = latest.stalls.as_ref()?;
    let worst = stalls.worst.as_ref()?;
    // A poll that ended between ticks was not seen; its spawn location's
    // other polls may have been.
    let (cause, syscall, cpu_share) = match worst.cause {
        Cause::Unknown => stalls
            .culprits
            .iter()
            .find(|c| c.location == worst.location)
            .map_or((Cause::Unknown, None, None), |c| {
                (c.cause, c.syscall.clone(), None)
            }),
        known => (known, worst.syscall.clone(), worst.cpu_share),
    };
    let so_far = if worst.running { " so far" } else { "" };
    let how_long = format!("{}{so_far}", format::micros(worst.duration_us));
    Some(Found {
        kind: WarningKind::BlockedWorker,
        message: format!(
            "worker {} {} by {} ({})",
            worst.worker,
            held(cause, syscall.as_deref(), cpu_share, &how_long),
            worst.task,
            worst.location
        ),
        advice: cause.advice(),
    })
}

/// What held a worker, the cause first: "blocked 48ms in nanosleep",
/// "computing 2.1s" (", given 20% of a core" when the OS kept it off its
/// core), or "held 48ms" when the cause is unknown.
pub fn held(cause: Cause, syscall: Option<&str>, cpu_share: Option<f64>, how_long: &str) -> String {
    match (cause, syscall) {
        (Cause::Blocked, Some(call)) => format!("blocked {how_long} in {call}"),
        (Cause::Blocked, None) => format!("blocked {how_long} in the kernel"),
        (Cause::Computing, _) => match cpu_share.filter(|share| *share < 0.5) {
            Some(share) => format!(
                "computing {how_long}, given {} of a core,",
                format::percent(share)
            ),
            None => format!("computing {how_long}"),
        },
        (Cause::Unknown, _) => format!("held {how_long}"),
    }
}

/// Every worker busy for several ticks while runnable tasks queue up.
fn saturated(recent: &[Snapshot]) -> Option<Found> {
    let window = last(recent, SUSTAINED)?;
    let busy = window.iter().all(|s| s.runtime.busy_ratio >= SATURATED);
    let latest = &window[SUSTAINED - 1].runtime;
    let waiting = latest.global_queue_depth + latest.local_queue_depth.unwrap_or(0);
    // Without tokio_unstable the workers' own queues are not measured.
    let at_least = if latest.local_queue_depth.is_some() {
        ""
    } else {
        "at least "
    };
    (busy && waiting > 0).then(|| Found {
        kind: WarningKind::Saturated,
        message: format!(
            "workers saturated: {} busy, {at_least}{waiting} runnable tasks waiting",
            format::percent(latest.busy_ratio)
        ),
        advice: "add workers (--workers), do less CPU work per item, or move it to spawn_blocking",
    })
}

/// The queue full for several ticks with producers waiting for room.
fn backpressure(recent: &[Snapshot]) -> Option<Found> {
    let window = queues(last(recent, SUSTAINED)?)?;
    let full = window.iter().all(|q| q.depth >= q.capacity);
    let queue = window[SUSTAINED - 1];
    (full && queue.waiting_producers > 0).then(|| Found {
        kind: WarningKind::Backpressure,
        message: format!(
            "queue full ({}/{}): {} of {} producers wait for room",
            queue.depth, queue.capacity, queue.waiting_producers, queue.producers
        ),
        advice: "add consumers or make each item cheaper (I/O wait, CPU work)",
    })
}

/// The queue empty for several ticks with most consumers waiting for items.
fn starvation(recent: &[Snapshot]) -> Option<Found> {
    let window = queues(last(recent, SUSTAINED)?)?;
    let starved = window
        .iter()
        .all(|q| q.depth == 0 && q.consumers > 0 && 2 * q.waiting_consumers > q.consumers);
    let queue = window[SUSTAINED - 1];
    starved.then(|| Found {
        kind: WarningKind::Starvation,
        message: format!(
            "queue empty: {} of {} consumers idle, waiting for items",
            queue.waiting_consumers, queue.consumers
        ),
        advice: "add producers or shorten the produce gap, or run fewer consumers",
    })
}

/// Woken tasks waiting at least the stall threshold for a worker, two ticks
/// running.
fn scheduling_delay(recent: &[Snapshot]) -> Option<Found> {
    let window = last(recent, 2)?;
    let p99_over_threshold = |s: &Snapshot| match (&s.schedule_delay, &s.stalls) {
        (Some(delay), Some(stalls)) if delay.count > 0 && delay.p99_us >= stalls.threshold_us => {
            Some(delay.p99_us)
        }
        _ => None,
    };
    let p99 = p99_over_threshold(&window[1])?;
    p99_over_threshold(&window[0])?;
    Some(Found {
        kind: WarningKind::SchedulingDelay,
        message: format!(
            "tasks wait {} (p99) for a worker to poll them",
            // A bucket's bound, marked as the Scheduling delay pane marks it.
            format::bucket(p99)
        ),
        advice: "workers are blocked or overloaded: see Long polls and Workers",
    })
}

/// `spawn_blocking` calls queued because every blocking thread is in use.
fn blocking_pool(recent: &[Snapshot]) -> Option<Found> {
    let window = last(recent, 2)?;
    let queued = window
        .iter()
        .all(|s| s.runtime.blocking_queue_depth.is_some_and(|n| n > 0));
    let latest = &window[1].runtime;
    queued.then(|| Found {
        kind: WarningKind::BlockingPool,
        message: format!(
            "blocking pool at its limit: {} threads busy, {} calls queued",
            // Two gauges read one after the other: idle may briefly
            // exceed the total a thread was counted in before it ended.
            latest
                .blocking_threads
                .unwrap_or(0)
                .saturating_sub(latest.idle_blocking_threads.unwrap_or(0)),
            latest.blocking_queue_depth.unwrap_or(0)
        ),
        advice: "make fewer or shorter blocking calls, or give them a pool of their own",
    })
}

/// Connections refused this tick because the process has no file
/// descriptor left: each requester holds one at each end.
fn out_of_files(recent: &[Snapshot]) -> Option<Found> {
    let window = last(recent, 2)?;
    let requests = requests(window)?;
    let failed = requests[1]
        .out_of_files
        .saturating_sub(requests[0].out_of_files);
    let limit = requests[1]
        .open_files_limit
        .map_or_else(|| "unknown".to_string(), |n| n.to_string());
    (failed > 0).then(|| Found {
        kind: WarningKind::OutOfFiles,
        message: format!(
            "out of file descriptors (limit {limit}): {failed} connections refused this tick"
        ),
        advice: "lower the concurrency (each request holds a descriptor at each end), or raise the hard limit (ulimit -Hn)",
    })
}

/// Share of a tick's requests that must fail, two ticks running, to be a
/// problem: the embedded site fails 1% by default, which is no news.
const FAILING: f64 = 0.05;

/// Requests failing two ticks running: the most common kind this tick,
/// with what causes it.
fn request_errors(recent: &[Snapshot]) -> Option<Found> {
    let window = last(recent, 3)?;
    let requests = requests(window)?;
    let kinds = |r: &RequestsSample| {
        [
            r.connect_errors,
            r.timeouts,
            r.server_errors,
            r.other_errors,
            r.too_large,
            r.shed,
        ]
    };
    let counts: Vec<[u64; 6]> = requests.iter().map(|r| kinds(r)).collect();
    let failed = |tick: usize| -> [u64; 6] {
        std::array::from_fn(|k| counts[tick + 1][k].saturating_sub(counts[tick][k]))
    };
    let failing = |tick: usize| {
        let failed: u64 = failed(tick).iter().sum();
        let sent = requests[tick + 1].sent.saturating_sub(requests[tick].sent);
        failed > 0 && failed as f64 >= FAILING * sent as f64
    };
    if !(failing(0) && failing(1)) {
        return None;
    }
    let latest = failed(1);
    let (kind, &count) = latest.iter().enumerate().max_by_key(|(_, n)| **n)?;
    let per_s = count as f64 / window[2].interval_s.max(1e-3);
    let r = requests[2];
    let (what, advice) = match kind {
        0 => (
            "connections failed",
            "the server refuses or cannot take new connections (is it up, at that port? a listen backlog full at high concurrency?): lower the concurrency or check the target",
        ),
        1 => (
            "requests timed out",
            "the server, or this runtime's workers, answer slower than the timeout: raise the timeout, lower the concurrency, or look at Long polls",
        ),
        2 => (
            "answers were 5xx",
            "the server fails these requests (the embedded site does as often as its error_rate knob says): the client is fine",
        ),
        3 => (
            "requests failed otherwise",
            "closed connections or answers that are not HTTP/1: check what listens at the target",
        ),
        4 => (
            "answers were too large",
            "bodies past max_body were given up: raise max_body if they are meant to be that large",
        ),
        _ => (
            "requests were shed",
            "the open loop had 10,000 in flight: the server or the runtime cannot keep up with the rate",
        ),
    };
    Some(Found {
        kind: WarningKind::RequestErrors,
        message: format!(
            "{} {what} ({} a second; {} of {} sent in all failed)",
            format::count(count as f64),
            format::count(per_s),
            format::count(kinds(r).iter().sum::<u64>() as f64),
            format::count(r.sent as f64)
        ),
        advice,
    })
}

/// A pipeline stage's input queue full for several ticks: the stage that
/// holds it back is named.
fn pipeline_full(recent: &[Snapshot]) -> Option<Found> {
    let window = last(recent, SUSTAINED)?;
    let chains: Vec<&ChainSample> = window
        .iter()
        .map(|s| s.section::<ChainSample>())
        .collect::<Option<_>>()?;
    let full_all_along = chains
        .iter()
        .all(|c| c.stages.iter().any(|s| s.depth >= s.capacity));
    let chain = chains[SUSTAINED - 1];
    let slowest = chain.bottleneck()?;
    let stage = &chain.stages[slowest];
    // A tick in which no item came out has no latency to give.
    let latency = if chain.latency.count == 0 {
        "no item came out in the last tick".to_string()
    } else {
        format!("end-to-end p99 {}", format::micros(chain.latency.p99_us))
    };
    (full_all_along && stage.depth >= stage.capacity).then(|| Found {
        kind: WarningKind::PipelineFull,
        message: format!(
            "pipeline backed up: stage {} is the slowest, its input full ({}/{}), busy {}; {latency}",
            slowest + 1,
            stage.depth,
            stage.capacity,
            format::percent(stage.busy_ratio),
        ),
        advice: "give the slowest stage more tasks (width) or less work per item (its wait and CPU), or feed the pipeline more slowly (source_gap)",
    })
}

/// The request workload's samples of these ticks, if every tick ran it.
fn requests(window: &[Snapshot]) -> Option<Vec<&RequestsSample>> {
    window
        .iter()
        .map(|s| s.section::<RequestsSample>())
        .collect()
}

/// The queue's samples of these ticks, if every tick ran the queue.
fn queues(window: &[Snapshot]) -> Option<Vec<&QueueSample>> {
    window.iter().map(|s| s.section::<QueueSample>()).collect()
}

/// The last `n` ticks, if there are that many.
fn last(recent: &[Snapshot], n: usize) -> Option<&[Snapshot]> {
    recent.len().checked_sub(n).map(|start| &recent[start..])
}
