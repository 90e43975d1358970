//! Requests with a deadline as the rest of looptop sees them: their section
//! of a tick, their pane, their summary line.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ui")]
use super::pane;
use super::{CancelBy, TimeoutCounters, TimeoutsWorkload, TIMEOUT_KNOBS};
use crate::sampler::rates::per_second;
use crate::sampler::sections::{SectionReader, WorkloadSample};
use crate::sampler::snapshot::Latency;
use crate::sampler::Snapshot;
use crate::workload::contract::{Counting, Kind, Readings, SummaryPart, Tick};
use crate::workload::knob::{by_name, from_name, Choice};

pub static KIND: Kind = Kind {
    name: "timeouts",
    knobs: &TIMEOUT_KNOBS,
    start: |handle, values, _| Ok(Counting::boxed(TimeoutsWorkload::start(handle, values))),
    #[cfg(feature = "ui")]
    want: pane::want,
    #[cfg(feature = "ui")]
    draw: pane::draw,
    summary: || Box::<TimeoutsSummary>::default(),
    section: SectionReader::of::<TimeoutsSample>(),
};

pub(super) fn section(
    workload: &mut TimeoutsWorkload,
    r: Readings<'_, TimeoutCounters>,
    _: &Tick,
) -> TimeoutsSample {
    let (before, after, baseline, elapsed) = (r.before, r.after, r.baseline, r.elapsed);
    let latencies = workload.take_latencies();
    TimeoutsSample {
        mode: after.mode,
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

/// The latest section: its totals cover the run.
#[derive(Debug, Default)]
struct TimeoutsSummary(Option<TimeoutsSample>);

impl SummaryPart for TimeoutsSummary {
    fn add(&mut self, snapshot: &Snapshot) {
        if let Some(t) = snapshot.section::<TimeoutsSample>() {
            self.0 = Some(t.clone());
        }
    }

    fn render(&self) -> String {
        self.0.as_ref().map_or_else(String::new, |t| {
            format!(
                "requests {} finished, {} timed out, {} cancelled (cancel by {})\n",
                t.finished_total,
                t.timed_out_total,
                t.cancelled_total,
                t.mode.name()
            )
        })
    }
}

/// Rounds of requests against a deadline: what finished, what timed out,
/// what was cancelled.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TimeoutsSample {
    #[serde(serialize_with = "by_name", deserialize_with = "from_name")]
    pub mode: CancelBy,
    pub started_per_s: f64,
    pub finished_per_s: f64,
    pub timed_out_per_s: f64,
    pub cancelled_per_s: f64,
    /// Since start or the last statistics reset.
    pub finished_total: u64,
    pub timed_out_total: u64,
    pub cancelled_total: u64,
    /// Of finished requests, from the start of their round.
    pub latency: Latency,
    /// From the start of a round to its first result.
    pub first_result: Latency,
}

impl WorkloadSample for TimeoutsSample {
    const KEY: &'static str = "timeouts";
}
