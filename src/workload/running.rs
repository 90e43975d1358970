//! The workloads a scenario runs, side by side on the observed runtime:
//! started together, steered by knob, read together, stopped together.

use tokio::runtime::Handle;

use super::chain::{ChainCounters, ChainWorkload};
use super::queue::{QueueCounters, QueueWorkload};
use super::queue_knobs::{QueueKnob, QueueSettings};
use super::threads_vs_tasks::{ThreadCounters, ThreadsVsTasks};
use super::timeouts::{TimeoutCounters, TimeoutsWorkload};
use crate::settings::{Group, KnobId, Settings};

/// One reading of every running workload's counters.
#[derive(Clone, Debug, Default)]
pub struct Counters {
    pub queue: Option<QueueCounters>,
    pub chain: Option<ChainCounters>,
    pub timeouts: Option<TimeoutCounters>,
    pub threads: Option<ThreadCounters>,
}

#[derive(Default)]
pub struct Running {
    queue: Option<QueueWorkload>,
    chain: Option<ChainWorkload>,
    timeouts: Option<TimeoutsWorkload>,
    threads: Option<ThreadsVsTasks>,
}

impl Running {
    /// Starts the workloads `settings` has knobs for.
    pub fn start(handle: &Handle, settings: &Settings) -> Self {
        Self {
            queue: settings.queue().map(|q| QueueWorkload::start(handle, q)),
            chain: settings
                .values(Group::Chain)
                .map(|v| ChainWorkload::start(handle, &v)),
            timeouts: settings
                .values(Group::Timeouts)
                .map(|v| TimeoutsWorkload::start(handle, &v)),
            threads: settings
                .values(Group::ThreadsVsTasks)
                .map(|v| ThreadsVsTasks::start(handle, &v)),
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
            Group::Chain => self
                .chain
                .as_mut()
                .map(|w| w.set(knob.index, value))
                .is_some(),
            Group::Timeouts => self
                .timeouts
                .as_mut()
                .map(|w| w.set(knob.index, value))
                .is_some(),
            Group::ThreadsVsTasks => self
                .threads
                .as_mut()
                .map(|w| w.set(knob.index, value))
                .is_some(),
            Group::Runtime => false,
        }
    }

    pub fn counters(&self) -> Counters {
        Counters {
            queue: self.queue.as_ref().map(QueueWorkload::counters),
            chain: self.chain.as_ref().map(ChainWorkload::counters),
            timeouts: self.timeouts.as_ref().map(TimeoutsWorkload::counters),
            threads: self.threads.as_ref().map(ThreadsVsTasks::counters),
        }
    }

    /// Every running workload's knob values, in settings order (the
    /// runtime's knobs at their defaults).
    pub fn settings(&self) -> Settings {
        let values: Vec<(Group, Vec<u64>)> = [
            self.queue
                .as_ref()
                .map(|q| (Group::Queue, QueueSettings::values(&q.settings()))),
            self.chain.as_ref().map(|c| (Group::Chain, c.values())),
            self.timeouts
                .as_ref()
                .map(|t| (Group::Timeouts, t.values())),
        ]
        .into_iter()
        .flatten()
        .collect();
        let groups: Vec<Group> = values.iter().map(|(g, _)| *g).collect();
        let mut settings = Settings::defaults(&groups);
        for (group, values) in values {
            for (index, value) in values.into_iter().enumerate() {
                settings.set(KnobId { group, index }, value);
            }
        }
        settings
    }
}
