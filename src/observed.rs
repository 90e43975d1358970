//! The observed runtime together with its workload and sampler: what the
//! dashboard, headless mode and the benchmark all drive.

use std::io;

use tokio::runtime::Runtime;

use crate::app::Effect;
use crate::runtime;
use crate::sampler::{Sampler, Snapshot};
use crate::workload::{QueueSettings, QueueWorkload};

pub struct Observed {
    workload: QueueWorkload,
    sampler: Sampler,
    /// Always `Some` until dropped; an `Option` so `Drop` can take it.
    runtime: Option<Runtime>,
}

impl Observed {
    pub fn start(workers: usize, settings: QueueSettings) -> io::Result<Self> {
        let runtime = runtime::build(workers, true)?;
        let workload = QueueWorkload::start(runtime.handle(), settings);
        let sampler = Sampler::new(runtime.handle(), workload.counters());
        Ok(Self {
            workload,
            sampler,
            runtime: Some(runtime),
        })
    }

    pub fn sample(&mut self) -> Snapshot {
        self.sampler.sample(self.workload.counters())
    }

    pub fn apply(&mut self, effect: Effect) {
        tracing::info!(?effect, "applying");
        match effect {
            Effect::SetKnob(knob, value) => self.workload.set(knob, value),
            Effect::ResetStatistics => self.sampler.reset(),
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
