//! Every workload looptop can run, listed once. A new workload is its own
//! module, one variant and one line in `Group::kind` here, and a scenario
//! file (see README, "Adding a workload").

use serde::Serialize;

use super::contract::Kind;
use super::KnobSpec;
use crate::settings::RUNTIME_KNOBS;

/// A set of knobs: one per workload, and the runtime's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Group {
    Queue,
    Chain,
    Timeouts,
    ThreadsVsTasks,
    Requests,
    Runtime,
}

impl Group {
    /// Workload groups, in the order a scenario file may name them and
    /// the dashboard stacks their panes.
    pub const WORKLOADS: [Group; 5] = [
        Group::Queue,
        Group::Chain,
        Group::Timeouts,
        Group::ThreadsVsTasks,
        Group::Requests,
    ];

    /// The workload; none for the runtime's own knobs.
    pub fn kind(self) -> Option<&'static dyn Kind> {
        match self {
            Group::Queue => Some(&super::queue::report::Queue),
            Group::Chain => Some(&super::chain::report::Chain),
            Group::Timeouts => Some(&super::timeouts::report::Timeouts),
            Group::ThreadsVsTasks => Some(&super::threads_vs_tasks::report::ThreadsVsTasksKind),
            Group::Requests => Some(&super::requests::report::Requests),
            Group::Runtime => None,
        }
    }

    /// The table name in scenario files.
    pub fn name(self) -> &'static str {
        self.kind().map_or("runtime", |kind| kind.name())
    }

    pub fn knobs(self) -> &'static [KnobSpec] {
        self.kind().map_or(&RUNTIME_KNOBS, |kind| kind.knobs())
    }
}
