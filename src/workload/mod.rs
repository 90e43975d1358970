//! Workloads that run on the observed runtime, and the knobs that steer
//! them. Each workload is a folder of its own (the workload, its knobs, its
//! pane, its report to the rest of looptop); `registry.rs` lists them and
//! `contract.rs` says what each provides. The rest are pieces they share.

pub mod bounded_queue;
pub mod chain;
pub mod contract;
pub mod knob;
pub mod latency;
pub mod pool;
pub mod queue;
pub mod registry;
pub mod requests;
pub mod running;
pub mod task_group;
#[cfg(test)]
mod test_support;
pub mod threads_vs_tasks;
pub mod timeouts;
pub mod work;

pub use knob::{KnobSpec, Unit};
pub use queue::knobs::{QueueKnob, QueueSettings};
pub use queue::{QueueCounters, QueueWorkload};
pub use running::Running;
