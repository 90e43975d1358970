//! Each workload's counters, two readings apart, as one tick's sample.

use std::time::Duration;

use super::rates::per_second;
use super::snapshot::QueueSample;
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
    }
}
