//! The queue as the rest of looptop sees it: its section of a tick, its
//! pane, its summary lines.

use serde::{Deserialize, Serialize};

use super::knobs::{QueueKnob, QueueSettings, QUEUE_KNOBS};
#[cfg(feature = "ui")]
use super::pane;
use super::{QueueCounters, QueueWorkload};
use crate::format;
use crate::sampler::rates::per_second;
use crate::sampler::sections::{SectionReader, WorkloadSample};
use crate::sampler::Snapshot;
use crate::workload::contract::{Counted, Counting, Kind, Readings, SummaryPart, Tick};

pub static KIND: Kind = Kind {
    name: "queue",
    knobs: &QUEUE_KNOBS,
    start: |handle, values, _| {
        let settings = QueueSettings::from_values(values);
        Ok(Counting::boxed(QueueWorkload::start(handle, settings)))
    },
    #[cfg(feature = "ui")]
    want: |_, _| pane::WANT,
    #[cfg(feature = "ui")]
    draw: pane::draw,
    summary: || Box::<QueueSummary>::default(),
    section: SectionReader::of::<QueueSample>(),
};

impl Counted for QueueWorkload {
    type Counts = QueueCounters;
    type Sample = QueueSample;

    fn set(&mut self, knob: usize, value: u64) {
        if let Some(&which) = QueueKnob::ALL.get(knob) {
            QueueWorkload::set(self, which, value);
        }
    }

    fn values(&self) -> Vec<u64> {
        self.settings().values()
    }

    fn counters(&self) -> QueueCounters {
        QueueWorkload::counters(self)
    }

    fn section(&mut self, r: Readings<'_, QueueCounters>, _: &Tick) -> QueueSample {
        let (before, after, baseline) = (r.before, r.after, r.baseline);
        QueueSample {
            depth: after.depth,
            capacity: after.capacity,
            produced_per_s: per_second(before.produced, after.produced, r.elapsed),
            consumed_per_s: per_second(before.consumed, after.consumed, r.elapsed),
            produced_total: after.produced.saturating_sub(baseline.produced),
            consumed_total: after.consumed.saturating_sub(baseline.consumed),
            producers: after.producers,
            consumers: after.consumers,
            waiting_producers: after.waiting_producers,
            waiting_consumers: after.waiting_consumers,
            pool_threads: after.pool_threads,
        }
    }
}

#[derive(Debug, Default)]
struct QueueSummary {
    produced_per_s: f64,
    consumed_per_s: f64,
    depth_sum: f64,
    depth_max: u64,
    capacity: u64,
    produced: u64,
    consumed: u64,
    ticks: u64,
}

impl SummaryPart for QueueSummary {
    fn add(&mut self, snapshot: &Snapshot) {
        let Some(q) = snapshot.section::<QueueSample>() else {
            return;
        };
        self.ticks += 1;
        self.produced_per_s += q.produced_per_s;
        self.consumed_per_s += q.consumed_per_s;
        self.depth_sum += q.depth as f64;
        self.depth_max = self.depth_max.max(q.depth);
        self.capacity = q.capacity;
        self.produced = q.produced_total;
        self.consumed = q.consumed_total;
    }

    fn render(&self) -> String {
        if self.ticks == 0 {
            return String::new();
        }
        let n = self.ticks as f64;
        format!(
            "queue    depth mean {:.1}, max {} of capacity {}\n\
             rates    produced {} and consumed {} on average; {} produced, {} consumed\n",
            self.depth_sum / n,
            self.depth_max,
            self.capacity,
            format::rate(self.produced_per_s / n),
            format::rate(self.consumed_per_s / n),
            self.produced,
            self.consumed,
        )
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct QueueSample {
    pub depth: u64,
    pub capacity: u64,
    pub produced_per_s: f64,
    pub consumed_per_s: f64,
    /// Since start or the last statistics reset.
    pub produced_total: u64,
    pub consumed_total: u64,
    /// Tasks alive, including cancelled ones finishing their item.
    pub producers: u64,
    pub consumers: u64,
    pub waiting_producers: u64,
    pub waiting_consumers: u64,
    /// Threads of the queue's own pool (offload = pool): OS threads that
    /// are neither workers nor tokio's blocking threads.
    pub pool_threads: u64,
}

impl WorkloadSample for QueueSample {
    const KEY: &'static str = "queue";
}
