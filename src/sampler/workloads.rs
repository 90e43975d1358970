//! Each workload's counters, two readings apart, as one tick's sample.

use std::time::Duration;

use super::rates::{busy_ratio, per_second};
use super::snapshot::{ChainSample, QueueSample, StageSample};
use crate::workload::chain::ChainCounters;
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

pub fn chain(before: &ChainCounters, after: &ChainCounters, elapsed: Duration) -> ChainSample {
    ChainSample {
        produced_per_s: per_second(before.produced, after.produced, elapsed),
        done_per_s: per_second(before.done, after.done, elapsed),
        in_pipeline: after.produced.saturating_sub(after.done),
        latency: after.latency,
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
