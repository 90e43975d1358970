//! Every knob of a run, in the order the controls pane lists them: the
//! knobs of each workload the scenario runs, then the runtime's own.

use crate::workload::chain::knobs;
use crate::workload::knob::{KnobSpec, Step, Unit};
use crate::workload::queue::knobs::{QueueKnob, QueueSettings};
pub use crate::workload::Group;

/// How often a run may be sampled.
pub const TICK_RANGE: (std::time::Duration, std::time::Duration) = (
    std::time::Duration::from_millis(50),
    std::time::Duration::from_secs(5),
);
/// The most worker threads a run may have.
pub const MAX_WORKERS: u64 = 512;

/// The runtime's knobs: they steer looptop's instruments, not a workload.
pub static RUNTIME_KNOBS: [KnobSpec; 1] = [KnobSpec {
    id: "stall_threshold",
    label: "stall at",
    range: 100..=10_000_000,
    unit: Unit::Micros,
    step: Step::Ladder { first: 100 },
    // A poll of 10 ms holds a worker long enough for everything queued
    // behind it to notice.
    default: 10_000,
}];

pub const STALL_THRESHOLD: KnobId = KnobId {
    group: Group::Runtime,
    index: 0,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KnobId {
    pub group: Group,
    pub index: usize,
}

impl KnobId {
    pub fn spec(self) -> &'static KnobSpec {
        &self.group.knobs()[self.index]
    }

    /// `table.knob`, as a scenario file names it: `queue.consumers`.
    pub fn name(self) -> String {
        format!("{}.{}", self.group.name(), self.spec().id)
    }

    /// The knob `name` names, if any.
    pub fn named(name: &str) -> Option<Self> {
        let (table, id) = name.split_once('.')?;
        let group = Group::WORKLOADS
            .into_iter()
            .chain([Group::Runtime])
            .find(|g| g.name() == table)?;
        let index = group.knobs().iter().position(|spec| spec.id == id)?;
        Some(KnobId { group, index })
    }
}

impl From<QueueKnob> for KnobId {
    fn from(knob: QueueKnob) -> Self {
        KnobId {
            group: Group::Queue,
            index: knob.index(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    entries: Vec<(KnobId, u64)>,
}

impl Settings {
    /// The defaults of these workloads' knobs and the runtime's.
    pub fn defaults(workloads: &[Group]) -> Self {
        let mut groups: Vec<Group> = workloads.to_vec();
        groups.retain(|g| *g != Group::Runtime);
        // One order for every scenario, whatever order its file names them in.
        groups.sort();
        groups.dedup();
        groups.push(Group::Runtime);
        let entries = groups
            .iter()
            .flat_map(|&group| {
                group
                    .knobs()
                    .iter()
                    .enumerate()
                    .map(move |(index, spec)| (KnobId { group, index }, spec.default))
            })
            .collect();
        Self { entries }
    }

    /// The queue workload alone, with these values.
    pub fn for_queue(queue: QueueSettings) -> Self {
        let mut settings = Self::defaults(&[Group::Queue]);
        for (index, value) in queue.values().into_iter().enumerate() {
            settings.set(
                KnobId {
                    group: Group::Queue,
                    index,
                },
                value,
            );
        }
        settings
    }

    pub fn get(&self, id: KnobId) -> Option<u64> {
        self.entries.iter().find(|(k, _)| *k == id).map(|(_, v)| *v)
    }

    /// Sets a knob the run has (clamped to its range); returns whether it has it.
    pub fn set(&mut self, id: KnobId, value: u64) -> bool {
        match self.entries.iter_mut().find(|(k, _)| *k == id) {
            Some((_, v)) => {
                *v = id.spec().clamp(value);
                true
            }
            None => false,
        }
    }

    pub fn knobs(&self) -> impl Iterator<Item = (KnobId, u64)> + '_ {
        self.entries.iter().copied()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn at(&self, position: usize) -> Option<(KnobId, u64)> {
        self.entries.get(position).copied()
    }

    /// Whether the controls list the knob: a chain stage's knobs only while
    /// the stage is in use.
    pub fn is_shown(&self, knob: KnobId) -> bool {
        match (knob.group, knobs::stage_of(knob.index)) {
            (Group::Chain, Some(stage)) => {
                let stages = KnobId {
                    group: Group::Chain,
                    index: knobs::STAGES,
                };
                self.get(stages).is_none_or(|n| stage as u64 <= n)
            }
            _ => true,
        }
    }

    pub fn has(&self, group: Group) -> bool {
        self.entries.iter().any(|(k, _)| k.group == group)
    }

    /// One group's values in table order, if the run has it.
    pub fn values(&self, group: Group) -> Option<Vec<u64>> {
        self.has(group).then(|| {
            self.entries
                .iter()
                .filter(|(k, _)| k.group == group)
                .map(|(_, v)| *v)
                .collect()
        })
    }

    pub fn queue(&self) -> Option<QueueSettings> {
        self.values(Group::Queue)
            .map(|v| QueueSettings::from_values(&v))
    }

    /// The workloads this run has, in order.
    pub fn workloads(&self) -> Vec<Group> {
        let mut groups: Vec<Group> = self.entries.iter().map(|(k, _)| k.group).collect();
        groups.dedup();
        groups.retain(|g| *g != Group::Runtime);
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_knob_is_found_by_its_name() {
        let all = Settings::defaults(&Group::WORKLOADS);
        for (knob, _) in all.knobs() {
            assert_eq!(KnobId::named(&knob.name()), Some(knob), "{}", knob.name());
        }
        assert_eq!(KnobId::named("queue.nothing"), None);
        assert_eq!(KnobId::named("consumers"), None);
    }

    #[test]
    fn defaults_list_workload_knobs_then_the_runtime() {
        let s = Settings::defaults(&[Group::Queue]);
        assert_eq!(s.len(), Group::Queue.knobs().len() + 1);
        assert_eq!(s.at(0).unwrap().0, QueueKnob::Producers.into());
        assert_eq!(s.at(s.len() - 1), Some((STALL_THRESHOLD, 10_000)));
        assert_eq!(s.workloads(), [Group::Queue]);
    }

    #[test]
    fn set_clamps_and_refuses_knobs_the_run_lacks() {
        let mut s = Settings::defaults(&[]);
        assert!(!s.set(QueueKnob::Producers.into(), 3));
        assert!(s.set(STALL_THRESHOLD, 1));
        assert_eq!(s.get(STALL_THRESHOLD), Some(100));
        let q = Settings::for_queue(QueueSettings {
            producers: 9,
            ..QueueSettings::default()
        });
        assert_eq!(q.queue().unwrap().producers, 9);
        assert_eq!(s.queue(), None);
    }
}
