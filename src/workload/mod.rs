//! Workloads that run on the observed runtime, and the knobs that steer them.

pub mod bounded_queue;
pub mod knob;
pub mod queue;
pub mod task_group;
pub mod work;

pub use knob::{Knob, QueueSettings, Unit};
pub use queue::{QueueCounters, QueueWorkload};
