//! Workloads that run on the observed runtime, and the knobs that steer
//! them. Each workload is a folder of its own (the workload, its knobs, its
//! pane, its report to the rest of looptop) and `contract.rs` says what each
//! provides; this file lists them, once: a new workload is its module line
//! here, a `Group` variant and its line in `Group::kind` (see README,
//! "Adding a workload"). The other modules are pieces they share.

pub mod bounded_queue;
pub mod chain;
pub mod contract;
pub mod knob;
pub mod latency;
pub mod many_tasks;
pub mod pool;
pub mod queue;
pub mod requests;
pub mod running;
pub mod task_group;
#[cfg(test)]
mod test_support;
pub mod threads_vs_tasks;
pub mod timeouts;
pub mod work;

use serde::Serialize;

use crate::sampler::sections::SectionReader;
use crate::settings::RUNTIME_KNOBS;
use contract::Kind;
pub use knob::{KnobSpec, Unit};
pub use queue::knobs::{QueueKnob, QueueSettings};
pub use queue::{QueueCounters, QueueWorkload};
pub use running::Running;

/// A set of knobs: one per workload, and the runtime's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Group {
    Queue,
    Chain,
    Timeouts,
    ThreadsVsTasks,
    Requests,
    ManyTasks,
    Runtime,
}

impl Group {
    /// Workload groups, in the order a scenario file may name them and
    /// the dashboard stacks their panes.
    pub const WORKLOADS: [Group; 6] = [
        Group::Queue,
        Group::Chain,
        Group::Timeouts,
        Group::ThreadsVsTasks,
        Group::Requests,
        Group::ManyTasks,
    ];

    /// The workload; none for the runtime's own knobs.
    pub fn kind(self) -> Option<&'static Kind> {
        match self {
            Group::Queue => Some(&queue::report::KIND),
            Group::Chain => Some(&chain::report::KIND),
            Group::Timeouts => Some(&timeouts::report::KIND),
            Group::ThreadsVsTasks => Some(&threads_vs_tasks::report::KIND),
            Group::Requests => Some(&requests::report::KIND),
            Group::ManyTasks => Some(&many_tasks::report::KIND),
            Group::Runtime => None,
        }
    }

    /// The table name in scenario files.
    pub fn name(self) -> &'static str {
        self.kind().map_or("runtime", |kind| kind.name)
    }

    pub fn knobs(self) -> &'static [KnobSpec] {
        self.kind().map_or(&RUNTIME_KNOBS, |kind| kind.knobs)
    }
}

/// How every workload's section is read back from a recording.
pub fn section_readers() -> impl Iterator<Item = SectionReader> {
    Group::WORKLOADS
        .iter()
        .filter_map(|group| group.kind())
        .map(|kind| kind.section)
}
