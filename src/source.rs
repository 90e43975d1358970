//! Where the dashboard and headless mode get their snapshots. Today that is
//! the observed runtime in this process (`Observed`); a recording being
//! replayed, or another process, are sources too, and such a source may
//! take no knob changes, so the dashboard offers knobs only where it can.

use std::future::Future;
use std::pin::Pin;

use crate::app::Effect;
use crate::sampler::Snapshot;
use crate::scenario::{Scenario, ScenarioError};
use crate::settings::Settings;
use crate::taskdump::{DumpError, TaskDump};

/// A task dump being taken.
pub type DumpFuture = Pin<Box<dyn Future<Output = Result<TaskDump, DumpError>> + Send>>;

pub trait Source {
    /// The tick's snapshot: every figure since the last one.
    fn sample(&mut self) -> Snapshot;

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
}
