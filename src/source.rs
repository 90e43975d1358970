//! Where the dashboard and headless mode get their snapshots: the observed
//! runtime in this process (`Observed`), or another process's endpoint
//! (`attach::Attached`). A source may take no knob changes, so the
//! dashboard offers knobs only where it can. (A replay needs no source: the
//! whole recording is there at once, and the app plays it.)

use std::future::Future;
use std::pin::Pin;

use crate::sampler::Snapshot;
use crate::scenario::{Scenario, ScenarioError};
use crate::settings::{KnobId, Settings};
use crate::taskdump::{DumpError, TaskDump};

/// What a key that would steer a read-only source says.
pub const READ_ONLY: &str = "this source takes no knob changes or scenario switches";

/// What a key asked of the source, beyond the dashboard's own state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    SetKnob(KnobId, u64),
    ResetStatistics,
    /// Stop the running workloads and start those of this scenario (a
    /// built-in name or a file, read again so edits take effect).
    SwitchScenario(String),
    /// Take a dump of every task; give it to `App::dump_taken`.
    TakeDump,
}

/// A task dump being taken.
pub type DumpFuture = Pin<Box<dyn Future<Output = Result<TaskDump, DumpError>> + Send>>;

pub trait Source {
    /// The ticks since the last call, oldest first: one for a runtime in
    /// this process; from another process, as many as have come (none
    /// while it does not answer, a minute of them when it first does).
    fn sample(&mut self) -> Vec<Snapshot>;

    /// The worker threads of the runtime it shows.
    fn workers(&self) -> usize;

    /// Every knob with its value as the workloads have it; none when this
    /// source takes no knob changes.
    fn settings(&self) -> Option<Settings>;

    /// Applies what a key asked for; after a scenario switch, the scenario
    /// now running. A source that takes no changes refuses each with a
    /// one-line reason.
    fn apply(&mut self, effect: Effect) -> Result<Option<Scenario>, ScenarioError>;

    /// A dump of every task of the runtime it shows, to await on another
    /// runtime; none when this source cannot take one.
    fn task_dump(&self) -> Option<DumpFuture>;

    /// Why no ticks come now (the other process gone, say), in one line.
    fn problem(&self) -> Option<String> {
        None
    }

    /// The header of the run it shows, where that run is another's: its
    /// scenario, workers and knobs, as it says them.
    fn header(&self) -> Option<crate::recording::Header> {
        None
    }
}
