//! One rule per problem: each looks at the latest ticks (oldest first) and,
//! if it sees its problem, says what it is and what to try.

use crate::sampler::snapshot::{Cause, QueueSample, RequestsSample, WarningKind};
use crate::sampler::Snapshot;
use crate::ui::format;

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

pub const RULES: [Rule; 7] = [
    blocked_worker,
    saturated,
    backpressure,
    starvation,
    scheduling_delay,
    blocking_pool,
    out_of_files,
];

/// A poll at least the stall threshold long, ended this tick or running,
/// with what its thread was doing: computing, or blocked in the kernel.
fn blocked_worker(recent: &[Snapshot]) -> Option<Found> {
    let latest = recent.last()?;
    let worst = latest.stalls.worst.as_ref()?;
    // A poll that ended between ticks was not seen; its spawn location's
    // other polls may have been.
    let (cause, syscall, cpu_share) = match worst.cause {
        Cause::Unknown => latest
            .stalls
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
    let waiting = latest.global_queue_depth + latest.local_queue_depth;
    (busy && waiting > 0).then(|| Found {
        kind: WarningKind::Saturated,
        message: format!(
            "workers saturated: {} busy, {waiting} runnable tasks waiting",
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
    let slow = window
        .iter()
        .all(|s| s.schedule_delay.count > 0 && s.schedule_delay.p99_us >= s.stalls.threshold_us);
    let latest = &window[1];
    slow.then(|| Found {
        kind: WarningKind::SchedulingDelay,
        message: format!(
            "tasks wait {} (p99) for a worker to poll them",
            format::micros(latest.schedule_delay.p99_us)
        ),
        advice: "workers are blocked or overloaded: see Long polls and Workers",
    })
}

/// `spawn_blocking` calls queued because every blocking thread is in use.
fn blocking_pool(recent: &[Snapshot]) -> Option<Found> {
    let window = last(recent, 2)?;
    let queued = window.iter().all(|s| s.runtime.blocking_queue_depth > 0);
    let latest = &window[1].runtime;
    queued.then(|| Found {
        kind: WarningKind::BlockingPool,
        message: format!(
            "blocking pool at its limit: {} threads busy, {} calls queued",
            // Two gauges read one after the other: idle may briefly
            // exceed the total a thread was counted in before it ended.
            latest
                .blocking_threads
                .saturating_sub(latest.idle_blocking_threads),
            latest.blocking_queue_depth
        ),
        advice: "make fewer or shorter blocking calls, or give them a pool of their own",
    })
}

/// Connections refused this tick because the process has no file
/// descriptor left: each requester holds one at each end.
fn out_of_files(recent: &[Snapshot]) -> Option<Found> {
    let window = last(recent, 2)?;
    let requests: Vec<&RequestsSample> = window
        .iter()
        .map(|s| s.requests.as_ref())
        .collect::<Option<_>>()?;
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

/// The queue's samples of these ticks, if every tick ran the queue.
fn queues(window: &[Snapshot]) -> Option<Vec<&QueueSample>> {
    window.iter().map(|s| s.queue.as_ref()).collect()
}

/// The last `n` ticks, if there are that many.
fn last(recent: &[Snapshot], n: usize) -> Option<&[Snapshot]> {
    recent.len().checked_sub(n).map(|start| &recent[start..])
}
