//! Workloads that run on the observed runtime, and the knobs that steer them.

pub mod bounded_queue;
pub mod chain;
pub mod chain_knobs;
pub mod knob;
pub mod latency;
pub mod pool;
pub mod queue;
pub mod queue_knobs;
pub mod requests;
pub mod running;
pub mod task_group;
#[cfg(test)]
mod test_support;
pub mod threads_vs_tasks;
pub mod timeouts;
pub mod work;

pub use knob::{KnobSpec, Unit};
pub use queue::{QueueCounters, QueueWorkload};
pub use queue_knobs::{QueueKnob, QueueSettings};
pub use running::{Counters, Latencies, Running};
