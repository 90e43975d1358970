//! Turning two readings of cumulative counters into per-second rates.

use std::time::Duration;

use super::snapshot::WorkerSample;

/// One worker's cumulative counters at one instant.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WorkerCounters {
    pub busy: Duration,
    pub parks: u64,
    /// Odd while the worker is parked. tokio publishes it, with the busy
    /// time, when the worker parks, on waking, and every 61 polls.
    pub park_unpark: u64,
    /// None without `tokio_unstable`.
    pub polls: Option<u64>,
    pub steals: Option<u64>,
    /// A gauge, not a counter.
    pub local_queue_depth: Option<usize>,
    /// The OS thread running this worker and the CPU time it has had; none
    /// where that cannot be read.
    pub cpu: Option<ThreadCpu>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadCpu {
    pub thread: u64,
    pub used: Duration,
    /// Time runnable but waiting for a core.
    pub waited: Duration,
}

/// Share of a core a thread got between two readings, if both are of the
/// same thread (tokio may hand a worker to another thread).
pub fn cpu_ratio(
    before: Option<ThreadCpu>,
    after: Option<ThreadCpu>,
    elapsed: Duration,
) -> Option<f64> {
    match (before, after) {
        (Some(b), Some(a)) if a.thread == b.thread => Some(busy_ratio(b.used, a.used, elapsed)),
        _ => None,
    }
}

/// Events per second between two readings. A counter that went backwards
/// (a reset) counts as zero events rather than wrapping.
pub fn per_second(before: u64, after: u64, elapsed: Duration) -> f64 {
    rate(after.saturating_sub(before), elapsed)
}

/// As `per_second`, for a counter that may not be measured.
pub fn per_second_of(before: Option<u64>, after: Option<u64>, elapsed: Duration) -> Option<f64> {
    Some(per_second(before?, after?, elapsed))
}

/// A worker awake for the whole tick that published nothing in it spent
/// it in polls (at least one long one, or too few to reach tokio's next
/// publication, every 61 scheduler ticks): busy all tick, though its busy
/// time lands only when it next publishes.
fn awake_and_silent(before: &WorkerCounters, after: &WorkerCounters) -> bool {
    after.park_unpark.is_multiple_of(2)
        && after.park_unpark == before.park_unpark
        && after.parks == before.parks
        && after.busy == before.busy
}

/// `events` that happened within `elapsed`, per second.
pub fn rate(events: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs <= 0.0 {
        return 0.0;
    }
    events as f64 / secs
}

/// Share of `elapsed` spent busy, clamped to 0..=1 (the two clocks are read
/// a few nanoseconds apart).
pub fn busy_ratio(before: Duration, after: Duration, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs <= 0.0 {
        return 0.0;
    }
    (after.saturating_sub(before).as_secs_f64() / secs).clamp(0.0, 1.0)
}

/// Tasks that finished in the interval: every spawned task either is still
/// alive or has completed.
pub fn completed(spawned: u64, alive_before: usize, alive_after: usize) -> u64 {
    (spawned + alive_before as u64).saturating_sub(alive_after as u64)
}

/// Each worker's figures between two readings. `credited` is each
/// worker's busy time already shown by the awake-and-silent rule and not
/// yet published by tokio, kept from call to call: when tokio publishes
/// it, it is not counted twice.
pub fn worker_samples(
    before: &[WorkerCounters],
    after: &[WorkerCounters],
    elapsed: Duration,
    credited: &mut Vec<Duration>,
) -> Vec<WorkerSample> {
    credited.resize(after.len(), Duration::ZERO);
    after
        .iter()
        .enumerate()
        .map(|(i, now)| {
            let prev = before.get(i).copied().unwrap_or_default();
            let busy = if i < before.len() && awake_and_silent(&prev, now) {
                credited[i] += elapsed;
                1.0
            } else {
                // What tokio publishes covers the ticks already shown busy.
                let shown = std::mem::take(&mut credited[i]);
                busy_ratio(prev.busy + shown, now.busy, elapsed)
            };
            WorkerSample {
                busy_ratio: busy,
                cpu_ratio: cpu_ratio(prev.cpu, now.cpu, elapsed),
                blocked_us: None,
                polls_per_s: per_second_of(prev.polls, now.polls, elapsed),
                parks_per_s: per_second(prev.parks, now.parks, elapsed),
                steals_per_s: per_second_of(prev.steals, now.steals, elapsed),
                local_queue_depth: now.local_queue_depth,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUARTER: Duration = Duration::from_millis(250);

    #[test]
    fn rates_are_deltas_over_elapsed_seconds() {
        assert_eq!(per_second(100, 350, QUARTER), 1000.0);
        assert_eq!(per_second(100, 100, QUARTER), 0.0);
        assert_eq!(per_second(500, 100, QUARTER), 0.0, "a reset is not a wrap");
        assert_eq!(per_second(0, 10, Duration::ZERO), 0.0);
    }

    #[test]
    fn busy_ratio_is_clamped() {
        let ms = Duration::from_millis;
        assert_eq!(busy_ratio(ms(0), ms(125), QUARTER), 0.5);
        assert_eq!(busy_ratio(ms(0), ms(260), QUARTER), 1.0);
        assert_eq!(busy_ratio(ms(10), ms(10), QUARTER), 0.0);
    }

    #[test]
    fn completed_counts_spawned_tasks_no_longer_alive() {
        assert_eq!(completed(10, 5, 5), 10);
        assert_eq!(completed(0, 8, 3), 5);
        assert_eq!(completed(4, 0, 4), 0);
    }

    #[test]
    fn worker_samples_pair_workers_by_index() {
        let before = [
            WorkerCounters {
                busy: Duration::from_millis(100),
                polls: Some(10),
                parks: 1,
                park_unpark: 2,
                steals: Some(0),
                local_queue_depth: Some(3),
                cpu: Some(ThreadCpu {
                    thread: 7,
                    used: Duration::from_millis(40),
                    waited: Duration::ZERO,
                }),
            },
            WorkerCounters::default(),
        ];
        let after = [
            WorkerCounters {
                busy: Duration::from_millis(300),
                polls: Some(510),
                parks: 5,
                park_unpark: 10,
                steals: Some(25),
                local_queue_depth: Some(7),
                cpu: Some(ThreadCpu {
                    thread: 7,
                    used: Duration::from_millis(140),
                    waited: Duration::ZERO,
                }),
            },
            WorkerCounters {
                busy: Duration::from_millis(25),
                polls: Some(50),
                parks: 2,
                park_unpark: 4,
                steals: Some(0),
                local_queue_depth: Some(0),
                cpu: Some(ThreadCpu {
                    thread: 9,
                    used: Duration::from_millis(5),
                    waited: Duration::ZERO,
                }),
            },
        ];
        let samples = worker_samples(&before, &after, QUARTER, &mut Vec::new());
        assert_eq!(samples.len(), 2);
        assert_eq!(samples[0].busy_ratio, 0.8);
        assert_eq!(samples[0].polls_per_s, Some(2000.0));
        assert_eq!(samples[0].parks_per_s, 16.0);
        assert_eq!(samples[0].steals_per_s, Some(100.0));
        assert_eq!(samples[0].local_queue_depth, Some(7));
        assert_eq!(samples[1].busy_ratio, 0.1);
        assert_eq!(samples[0].cpu_ratio, Some(0.4), "100 ms of CPU in 250 ms");
        assert_eq!(
            samples[1].cpu_ratio, None,
            "no earlier reading of that thread"
        );
    }

    #[test]
    fn a_worker_awake_and_silent_all_tick_was_busy_all_tick() {
        let awake = WorkerCounters {
            busy: Duration::from_millis(100),
            parks: 3,
            park_unpark: 6,
            ..WorkerCounters::default()
        };
        let asleep = WorkerCounters {
            park_unpark: 7,
            parks: 4,
            ..awake
        };
        let mut credited = Vec::new();
        let mut busy = |before, after| {
            worker_samples(&[before], &[after], QUARTER, &mut credited)[0].busy_ratio
        };
        assert_eq!(busy(asleep, asleep), 0.0, "parked all tick");
        let published = WorkerCounters {
            busy: Duration::from_millis(150),
            ..awake
        };
        assert_eq!(
            busy(awake, published),
            0.2,
            "its own figure when it has one"
        );
        assert_eq!(busy(awake, awake), 1.0, "in a poll since before the tick");
        // The poll ends 60 ms into the next tick and the worker parks:
        // tokio publishes the 250 ms already shown and the 60 ms after.
        let parked = WorkerCounters {
            busy: Duration::from_millis(410),
            parks: 4,
            park_unpark: 7,
            ..awake
        };
        let ratio = busy(awake, parked);
        assert!(
            (ratio - 0.24).abs() < 1e-9,
            "the 60 ms only, not 310: {ratio}"
        );
        assert_eq!(credited, [Duration::ZERO]);
    }

    #[test]
    fn an_unmeasured_counter_has_no_rate() {
        assert_eq!(per_second_of(None, Some(5), QUARTER), None);
        assert_eq!(per_second_of(Some(5), Some(10), QUARTER), Some(20.0));
    }
}
