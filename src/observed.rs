//! The observed runtime together with its workload and sampler: what the
//! dashboard, headless mode and the benchmark all drive.

use std::io;
use std::time::Duration;

use tokio::runtime::Runtime;

use crate::app::Effect;
use crate::diagnosis::Diagnosis;
use crate::runtime::{self, Instruments};
use crate::sampler::{Sampler, Snapshot};
use crate::stall::{PollTracker, StallWatch};
use crate::workload::{Knob, QueueSettings, QueueWorkload};

pub struct Observed {
    workload: QueueWorkload,
    sampler: Sampler,
    stalls: StallWatch,
    diagnosis: Diagnosis,
    /// Always `Some` until dropped; an `Option` so `Drop` can take it.
    runtime: Option<Runtime>,
}

impl Observed {
    pub fn start(workers: usize, settings: QueueSettings) -> io::Result<Self> {
        let threshold = Duration::from_micros(settings.stall_threshold_us);
        let tracker = PollTracker::new(workers, threshold);
        let instruments = Instruments::HistogramsAndStalls(tracker.clone());
        let runtime = runtime::build(workers, instruments)?;
        let workload = QueueWorkload::start(runtime.handle(), settings);
        let sampler = Sampler::new(runtime.handle(), workload.counters());
        Ok(Self {
            workload,
            sampler,
            stalls: StallWatch::new(tracker),
            diagnosis: Diagnosis::default(),
            runtime: Some(runtime),
        })
    }

    pub fn sample(&mut self) -> Snapshot {
        let mut snapshot = self.sampler.sample(self.workload.counters());
        snapshot.stalls = self.stalls.sample();
        snapshot.warnings = self.diagnosis.update(&snapshot);
        snapshot
    }

    pub fn apply(&mut self, effect: Effect) {
        tracing::info!(?effect, "applying");
        match effect {
            Effect::SetKnob(Knob::StallThreshold, micros) => {
                self.workload.set(Knob::StallThreshold, micros);
                self.stalls.set_threshold(Duration::from_micros(micros));
            }
            Effect::SetKnob(knob, value) => self.workload.set(knob, value),
            Effect::ResetStatistics => {
                self.sampler.reset();
                self.stalls.reset();
                self.diagnosis.reset();
            }
        }
    }

    pub fn settings(&self) -> QueueSettings {
        self.workload.settings()
    }

    pub fn workers(&self) -> usize {
        self.runtime
            .as_ref()
            .map_or(0, |rt| rt.metrics().num_workers())
    }
}

impl Drop for Observed {
    fn drop(&mut self) {
        // A workload may have every worker blocked; never wait for it.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
