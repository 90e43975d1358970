//! The observed runtime together with its workload and sampler: what the
//! dashboard, headless mode and the benchmark all drive.

use std::io;
use std::time::Duration;

use tokio::runtime::Runtime;

use crate::app::Effect;
use crate::diagnosis::Diagnosis;
use crate::runtime::{self, Instruments};
use crate::sampler::{Sampler, Snapshot};
use crate::scenario::{self, Scenario, ScenarioError};
use crate::settings::{Group, KnobId, Settings, STALL_THRESHOLD};
use crate::stall::{PollTracker, StallWatch};
use crate::workload::{QueueKnob, QueueWorkload};

pub struct Observed {
    queue: Option<QueueWorkload>,
    sampler: Sampler,
    stalls: StallWatch,
    diagnosis: Diagnosis,
    /// Always `Some` until dropped; an `Option` so `Drop` can take it.
    runtime: Option<Runtime>,
}

impl Observed {
    pub fn start(workers: usize, settings: &Settings) -> io::Result<Self> {
        let threshold = settings
            .get(STALL_THRESHOLD)
            .unwrap_or(STALL_THRESHOLD.spec().default);
        let tracker = PollTracker::new(workers, Duration::from_micros(threshold));
        let instruments = Instruments::HistogramsAndStalls(tracker.clone());
        let runtime = runtime::build(workers, instruments)?;
        let queue = settings
            .queue()
            .map(|queue| QueueWorkload::start(runtime.handle(), queue));
        let sampler = Sampler::new(runtime.handle(), queue_counters(&queue));
        Ok(Self {
            queue,
            sampler,
            stalls: StallWatch::new(tracker),
            diagnosis: Diagnosis::default(),
            runtime: Some(runtime),
        })
    }

    pub fn sample(&mut self) -> Snapshot {
        let mut snapshot = self.sampler.sample(queue_counters(&self.queue));
        snapshot.stalls = self.stalls.sample();
        snapshot.warnings = self.diagnosis.update(&snapshot);
        snapshot
    }

    /// Applies an effect; after a scenario switch, returns the scenario now
    /// running. A scenario that will not load leaves the running one alone.
    pub fn apply(&mut self, effect: Effect) -> Result<Option<Scenario>, ScenarioError> {
        tracing::info!(?effect, "applying");
        match effect {
            Effect::SetKnob(knob, value) => self.set(knob, value),
            Effect::ResetStatistics => self.reset(),
            Effect::SwitchScenario(source) => {
                let scenario = scenario::load(&source)?;
                self.switch(&scenario.settings);
                return Ok(Some(scenario));
            }
        }
        Ok(None)
    }

    /// Stops the running workloads (their tasks finish the item in hand)
    /// and starts these on the same runtime.
    pub fn switch(&mut self, settings: &Settings) {
        let handle = self.handle();
        self.queue = None;
        if let (Some(handle), Some(queue)) = (handle, settings.queue()) {
            self.queue = Some(QueueWorkload::start(&handle, queue));
        }
        if let Some(threshold) = settings.get(STALL_THRESHOLD) {
            self.set(STALL_THRESHOLD, threshold);
        }
        self.sampler.rebase(queue_counters(&self.queue));
        self.reset();
    }

    fn reset(&mut self) {
        self.sampler.reset();
        self.stalls.reset();
        self.diagnosis.reset();
    }

    fn handle(&self) -> Option<tokio::runtime::Handle> {
        self.runtime.as_ref().map(|rt| rt.handle().clone())
    }

    fn set(&mut self, knob: KnobId, value: u64) {
        let value = knob.spec().clamp(value);
        match knob.group {
            Group::Queue => {
                if let (Some(queue), Some(&which)) =
                    (&mut self.queue, QueueKnob::ALL.get(knob.index))
                {
                    queue.set(which, value);
                }
            }
            Group::Runtime if knob == STALL_THRESHOLD => {
                self.stalls.set_threshold(Duration::from_micros(value));
            }
            Group::Runtime => {}
        }
    }

    /// Every knob's value as the running workloads have it.
    pub fn settings(&self) -> Settings {
        let mut settings = match &self.queue {
            Some(queue) => Settings::for_queue(queue.settings()),
            None => Settings::defaults(&[]),
        };
        settings.set(STALL_THRESHOLD, self.stalls.threshold().as_micros() as u64);
        settings
    }

    pub fn workers(&self) -> usize {
        self.runtime
            .as_ref()
            .map_or(0, |rt| rt.metrics().num_workers())
    }
}

fn queue_counters(queue: &Option<QueueWorkload>) -> crate::workload::QueueCounters {
    queue
        .as_ref()
        .map(QueueWorkload::counters)
        .unwrap_or_default()
}

impl Drop for Observed {
    fn drop(&mut self) {
        // A workload may have every worker blocked; never wait for it.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
