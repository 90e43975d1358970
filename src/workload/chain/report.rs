//! The pipeline as the rest of looptop sees it: its section of a tick, its
//! pane, its summary lines.

use serde::{Deserialize, Serialize};

use super::knobs::CHAIN_KNOBS;
#[cfg(feature = "ui")]
use super::pane;
use super::{ChainCounters, ChainWorkload};
use crate::format;
use crate::sampler::rates::{busy_ratio, per_second};
use crate::sampler::sections::{SectionReader, WorkloadSample};
use crate::sampler::snapshot::Latency;
use crate::sampler::Snapshot;
use crate::workload::contract::{Counting, Kind, Readings, SummaryPart, Tick};

pub static KIND: Kind = Kind {
    name: "chain",
    knobs: &CHAIN_KNOBS,
    start: |handle, values, _| Ok(Counting::boxed(ChainWorkload::start(handle, values))),
    #[cfg(feature = "ui")]
    want: pane::want,
    #[cfg(feature = "ui")]
    draw: pane::draw,
    summary: || Box::<ChainSummary>::default(),
    section: SectionReader::of::<ChainSample>(),
};

pub(super) fn section(
    workload: &mut ChainWorkload,
    r: Readings<'_, ChainCounters>,
    _: &Tick,
) -> ChainSample {
    let (before, after, elapsed) = (r.before, r.after, r.elapsed);
    ChainSample {
        produced_per_s: per_second(before.produced, after.produced, elapsed),
        done_per_s: per_second(before.done, after.done, elapsed),
        in_pipeline: after.produced.saturating_sub(after.done),
        latency: workload.take_latency(),
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

#[derive(Debug, Default)]
struct ChainSummary {
    ticks: u64,
    done_per_s: f64,
    worst_p99_us: f64,
    /// Per stage: the sum of its busy ratios, for the mean.
    busy: Vec<f64>,
}

impl SummaryPart for ChainSummary {
    fn add(&mut self, snapshot: &Snapshot) {
        let Some(c) = snapshot.section::<ChainSample>() else {
            return;
        };
        self.ticks += 1;
        self.done_per_s += c.done_per_s;
        self.worst_p99_us = self.worst_p99_us.max(c.latency.p99_us);
        self.busy.resize(self.busy.len().max(c.stages.len()), 0.0);
        for (sum, stage) in self.busy.iter_mut().zip(&c.stages) {
            *sum += stage.busy_ratio;
        }
    }

    fn render(&self) -> String {
        if self.ticks == 0 {
            return String::new();
        }
        let n = self.ticks as f64;
        let stages: Vec<String> = self
            .busy
            .iter()
            .enumerate()
            .map(|(i, sum)| format!("s{} {}", i + 1, format::percent(sum / n)))
            .collect();
        format!(
            "chain    {} through on average, worst tick p99 latency {}\n\
             stages   busy {}\n",
            format::rate(self.done_per_s / n),
            format::micros(self.worst_p99_us),
            stages.join("  "),
        )
    }
}

/// The pipeline: items in and out, their end-to-end latency, each stage.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChainSample {
    pub produced_per_s: f64,
    pub done_per_s: f64,
    /// Items between the source and the end.
    pub in_pipeline: u64,
    /// From entering the first stage's queue to leaving the last stage.
    pub latency: Latency,
    pub fanout: u64,
    pub fanout_concurrent: bool,
    pub stages: Vec<StageSample>,
}

impl WorkloadSample for ChainSample {
    const KEY: &'static str = "chain";
}

impl ChainSample {
    /// The stage that holds the pipeline back, by index: the last whose
    /// input queue is full (those before it fill because it cannot keep
    /// up), or else the busiest, if it is busy at least half the time.
    pub fn bottleneck(&self) -> Option<usize> {
        let full = self.stages.iter().rposition(|s| s.depth >= s.capacity);
        full.or_else(|| {
            self.stages
                .iter()
                .enumerate()
                .filter(|(_, s)| s.busy_ratio >= 0.5)
                .max_by(|(_, a), (_, b)| a.busy_ratio.total_cmp(&b.busy_ratio))
                .map(|(i, _)| i)
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StageSample {
    /// Items waiting in the stage's input queue.
    pub depth: u64,
    pub capacity: u64,
    pub per_s: f64,
    /// Share of the stage's task time spent on items, 0..=1.
    pub busy_ratio: f64,
}
