//! The workloads a scenario runs, side by side on the observed runtime:
//! started together, steered by knob, read together, stopped together.

use tokio::runtime::Handle;

use super::queue::{QueueCounters, QueueWorkload};
use super::queue_knobs::QueueKnob;
use crate::settings::{Group, KnobId, Settings};

/// One reading of every running workload's counters.
#[derive(Clone, Debug, Default)]
pub struct Counters {
    pub queue: Option<QueueCounters>,
}

#[derive(Default)]
pub struct Running {
    queue: Option<QueueWorkload>,
}

impl Running {
    /// Starts the workloads `settings` has knobs for.
    pub fn start(handle: &Handle, settings: &Settings) -> Self {
        Self {
            queue: settings.queue().map(|q| QueueWorkload::start(handle, q)),
        }
    }

    /// Passes a knob to its workload; false if no running workload has it.
    pub fn set(&mut self, knob: KnobId, value: u64) -> bool {
        match knob.group {
            Group::Queue => match (&mut self.queue, QueueKnob::ALL.get(knob.index)) {
                (Some(queue), Some(&which)) => {
                    queue.set(which, value);
                    true
                }
                _ => false,
            },
            Group::Runtime => false,
        }
    }

    pub fn counters(&self) -> Counters {
        Counters {
            queue: self.queue.as_ref().map(QueueWorkload::counters),
        }
    }

    /// Every running workload's knob values, in settings order (the
    /// runtime's knobs at their defaults).
    pub fn settings(&self) -> Settings {
        let mut groups = Vec::new();
        if self.queue.is_some() {
            groups.push(Group::Queue);
        }
        let mut settings = Settings::defaults(&groups);
        let mut fill = |group: Group, values: Vec<u64>| {
            for (index, value) in values.into_iter().enumerate() {
                settings.set(KnobId { group, index }, value);
            }
        };
        if let Some(queue) = &self.queue {
            fill(Group::Queue, queue.settings().values());
        }
        settings
    }
}
