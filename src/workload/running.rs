//! The workloads a scenario runs, side by side on the observed runtime:
//! started together, steered by knob, read together, stopped together.

use tokio::runtime::Handle;

use super::chain::{ChainCounters, ChainWorkload};
use super::latency::Latency;
use super::queue::{QueueCounters, QueueWorkload};
use super::queue_knobs::{QueueKnob, QueueSettings};
use super::requests::{RequestCounters, RequestsWorkload};
use super::threads_vs_tasks::{ThreadCounters, ThreadsVsTasks};
use super::timeouts::{TimeoutCounters, TimeoutLatencies, TimeoutsWorkload};
use crate::settings::{Group, KnobId, Settings};

/// One reading of every running workload's counters.
#[derive(Clone, Debug, Default)]
pub struct Counters {
    pub queue: Option<QueueCounters>,
    pub chain: Option<ChainCounters>,
    pub timeouts: Option<TimeoutCounters>,
    pub threads: Option<ThreadCounters>,
    pub requests: Option<RequestCounters>,
}

/// The latencies the workloads recorded since they were last taken; zero
/// for a workload that does not run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Latencies {
    pub chain: Latency,
    pub timeouts: TimeoutLatencies,
    pub requests: Latency,
}

#[derive(Default)]
pub struct Running {
    queue: Option<QueueWorkload>,
    chain: Option<ChainWorkload>,
    timeouts: Option<TimeoutsWorkload>,
    threads: Option<ThreadsVsTasks>,
    requests: Option<RequestsWorkload>,
}

impl Running {
    /// Starts the workloads `settings` has knobs for; the request workload
    /// against `target`, or the embedded site. Fails only if the site
    /// cannot bind a port.
    pub fn start(
        handle: &Handle,
        settings: &Settings,
        target: Option<&str>,
    ) -> std::io::Result<Self> {
        let requests = match settings.values(Group::Requests) {
            Some(v) => Some(RequestsWorkload::start(handle, &v, target)?),
            None => None,
        };
        Ok(Self {
            requests,
            queue: settings.queue().map(|q| QueueWorkload::start(handle, q)),
            chain: settings
                .values(Group::Chain)
                .map(|v| ChainWorkload::start(handle, &v)),
            timeouts: settings
                .values(Group::Timeouts)
                .map(|v| TimeoutsWorkload::start(handle, &v)),
            threads: settings
                .values(Group::ThreadsVsTasks)
                .map(|v| ThreadsVsTasks::start(handle, &v))
                .transpose()?,
        })
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
            Group::Requests => self
                .requests
                .as_mut()
                .map(|w| w.set(knob.index, value))
                .is_some(),
            Group::Runtime => false,
        }
    }

    /// Takes every workload's latencies since the last call. Reading the
    /// counters leaves them be; only the sampler takes them, once a tick.
    pub fn take_latencies(&mut self) -> Latencies {
        Latencies {
            chain: self
                .chain
                .as_mut()
                .map(|w| w.take_latency())
                .unwrap_or_default(),
            timeouts: self
                .timeouts
                .as_mut()
                .map(|w| w.take_latencies())
                .unwrap_or_default(),
            requests: self
                .requests
                .as_mut()
                .map(|w| w.take_latency())
                .unwrap_or_default(),
        }
    }

    pub fn counters(&self) -> Counters {
        Counters {
            queue: self.queue.as_ref().map(QueueWorkload::counters),
            chain: self.chain.as_ref().map(ChainWorkload::counters),
            timeouts: self.timeouts.as_ref().map(TimeoutsWorkload::counters),
            threads: self.threads.as_ref().map(ThreadsVsTasks::counters),
            requests: self.requests.as_ref().map(RequestsWorkload::counters),
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
            self.threads
                .as_ref()
                .map(|t| (Group::ThreadsVsTasks, t.values())),
            self.requests
                .as_ref()
                .map(|r| (Group::Requests, r.values())),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_runs_with_the_knob_values_it_asked_for() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        for scenario in crate::scenario::built_in().unwrap() {
            let running = Running::start(rt.handle(), &scenario.settings, None).unwrap();
            assert_eq!(running.settings(), scenario.settings, "{}", scenario.name);
            let counters = running.counters();
            for group in scenario.settings.workloads() {
                let present = match group {
                    Group::Queue => counters.queue.is_some(),
                    Group::Chain => counters.chain.is_some(),
                    Group::Timeouts => counters.timeouts.is_some(),
                    Group::ThreadsVsTasks => counters.threads.is_some(),
                    Group::Requests => counters.requests.is_some(),
                    Group::Runtime => true,
                };
                assert!(present, "{}: no counters for {group:?}", scenario.name);
            }
        }
    }
}
