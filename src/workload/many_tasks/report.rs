//! Many tasks as the rest of looptop sees them: their section of a tick,
//! their pane, their summary line.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ui")]
use super::pane;
use super::{ManyCounters, ManyTasks, Wake, MANY_KNOBS};
use crate::format;
use crate::sampler::rates::per_second;
use crate::sampler::sections::{SectionReader, WorkloadSample};
use crate::sampler::Snapshot;
use crate::workload::contract::{Counting, Kind, Readings, SummaryPart};
use crate::workload::knob::{by_name, from_name, Choice};

pub static KIND: Kind = Kind {
    name: "many-tasks",
    knobs: &MANY_KNOBS,
    start: |handle, values, _| Ok(Counting::boxed(ManyTasks::start(handle, values)?)),
    #[cfg(feature = "ui")]
    want: pane::want,
    #[cfg(feature = "ui")]
    draw: pane::draw,
    summary: || Box::<ManySummary>::default(),
    section: SectionReader::of::<ManyTasksSample>(),
};

pub(super) fn section(r: Readings<'_, ManyCounters>) -> ManyTasksSample {
    let (before, after) = (r.before, r.after);
    let wakes = after.wakes.saturating_sub(before.wakes);
    let late_ns = after.late_ns.saturating_sub(before.late_ns);
    ManyTasksSample {
        asked: after.asked,
        alive: after.alive,
        ramp_per_s: after.ramp_per_s,
        wake: after.wake,
        wakes_per_s: per_second(before.wakes, after.wakes, r.elapsed),
        late_mean_us: (wakes > 0).then(|| late_ns as f64 / wakes as f64 / 1e3),
        late_max_us: (wakes > 0).then(|| after.late_max_ns as f64 / 1e3),
        resident_per_task: after.memory.per_task,
        measured_over: after.memory.over,
        rss_bytes: after.rss_bytes,
    }
}

/// Connection-like tasks: how many, how often they wake and how late, and
/// what each costs in memory.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ManyTasksSample {
    /// Tasks asked for, and alive now (climbing at the ramp rate).
    pub asked: u64,
    pub alive: u64,
    pub ramp_per_s: u64,
    #[serde(serialize_with = "by_name", deserialize_with = "from_name")]
    pub wake: Wake,
    pub wakes_per_s: f64,
    /// How long after its deadline a task ran, mean and most, this tick:
    /// the timer's 1 ms resolution, and then the queue of tasks woken with
    /// it. Null in a tick with no wake-up.
    pub late_mean_us: Option<f64>,
    pub late_max_us: Option<f64>,
    /// What the process grew by per task spawned, over `measured_over`
    /// tasks; null until a thousand have been added.
    pub resident_per_task: Option<u64>,
    pub measured_over: u64,
    /// The whole process's resident memory.
    pub rss_bytes: u64,
}

impl WorkloadSample for ManyTasksSample {
    const KEY: &'static str = "many_tasks";
}

/// The latest section.
#[derive(Debug, Default)]
struct ManySummary(Option<ManyTasksSample>);

impl SummaryPart for ManySummary {
    fn add(&mut self, snapshot: &Snapshot) {
        if let Some(m) = snapshot.section::<ManyTasksSample>() {
            self.0 = Some(m.clone());
        }
    }

    fn render(&self) -> String {
        self.0.as_ref().map_or_else(String::new, |m| {
            let memory = m.resident_per_task.map_or_else(
                || "memory per task not measured yet".to_string(),
                |bytes| {
                    format!(
                        "{} resident per task (over {})",
                        format::bytes(bytes),
                        format::count(m.measured_over as f64)
                    )
                },
            );
            format!(
                "tasks    {} of {} alive, {} wake-ups/s ({}), {memory}\n",
                m.alive,
                m.asked,
                format::count(m.wakes_per_s),
                m.wake.name()
            )
        })
    }
}
