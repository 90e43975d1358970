//! The observed runtime together with its workload and sampler: the source
//! of snapshots the dashboard, headless mode and the benchmark all drive.

use std::io;
use std::time::Duration;

use tokio::runtime::Runtime;

use crate::runtime::{self, Instruments};
use crate::sampler::Snapshot;
use crate::scenario::{self, Scenario, ScenarioError};
use crate::settings::{KnobId, Settings, STALL_THRESHOLD};
use crate::source::{DumpFuture, Effect, Source};
use crate::stall::PollTracker;
use crate::taskdump;
use crate::watch::RuntimeWatch;
use crate::workload::contract::Tick;
use crate::workload::requests::Target;
use crate::workload::Running;

pub struct Observed {
    running: Running,
    watch: RuntimeWatch,
    /// Where the request workload sends its requests, if not to the
    /// embedded site.
    target: Option<Target>,
    /// Always `Some` until dropped; an `Option` so `Drop` can take it.
    runtime: Option<Runtime>,
}

impl Observed {
    pub fn start(workers: usize, settings: &Settings) -> io::Result<Self> {
        Self::start_with_target(workers, settings, None)
    }

    /// As `start`, with the request workload aimed at `target`.
    pub fn start_with_target(
        workers: usize,
        settings: &Settings,
        target: Option<Target>,
    ) -> io::Result<Self> {
        let threshold = settings
            .get(STALL_THRESHOLD)
            .unwrap_or(STALL_THRESHOLD.spec().default);
        let tracker = PollTracker::new(workers, Duration::from_micros(threshold));
        let instruments = Instruments::Hooks(tracker.clone());
        let runtime = runtime::build(workers, instruments)?;
        let running = Running::start(runtime.handle(), settings, target.as_ref())?;
        Ok(Self {
            running,
            watch: RuntimeWatch::new(runtime.handle(), tracker),
            target,
            runtime: Some(runtime),
        })
    }

    pub fn sample(&mut self) -> Snapshot {
        let running = &mut self.running;
        self.watch.sample(|snapshot| {
            // The threads-vs-tasks workload is all the workers run: their
            // CPU is its tasks' side.
            running.sample(&Tick {
                workers_cpu: snapshot.workers.iter().map(|w| w.cpu_ratio).sum(),
                cores: snapshot.runtime.cores,
            })
        })
    }

    /// Applies an effect; after a scenario switch, returns the scenario now
    /// running. A scenario that will not load leaves the running one alone.
    pub fn apply(&mut self, effect: Effect) -> Result<Option<Scenario>, ScenarioError> {
        tracing::info!(?effect, "applying");
        match effect {
            Effect::SetKnob(knob, value) => self.set(knob, value),
            Effect::ResetStatistics => self.reset(),
            // Awaited by the caller, off this source: see `task_dump`.
            Effect::TakeDump => {}
            Effect::SwitchScenario(source) => {
                let scenario = scenario::load(&source)?;
                self.switch(&scenario.settings).map_err(|e| ScenarioError {
                    origin: source,
                    line: None,
                    message: format!("cannot start it: {e}"),
                })?;
                return Ok(Some(scenario));
            }
        }
        Ok(None)
    }

    /// Stops the running workloads (their tasks finish the item in hand)
    /// and starts these on the same runtime.
    pub fn switch(&mut self, settings: &Settings) -> io::Result<()> {
        let Some(runtime) = &self.runtime else {
            return Ok(());
        };
        // Started before the old ones stop, so one that fails to start
        // leaves the running scenario running.
        let started = Running::start(runtime.handle(), settings, self.target.as_ref())?;
        // Dropping the old workloads cancels their tasks.
        self.running = started;
        if let Some(threshold) = settings.get(STALL_THRESHOLD) {
            self.set(STALL_THRESHOLD, threshold);
        }
        self.reset();
        Ok(())
    }

    fn reset(&mut self) {
        self.running.reset();
        self.watch.reset();
    }

    fn set(&mut self, knob: KnobId, value: u64) {
        let value = knob.spec().clamp(value);
        if knob == STALL_THRESHOLD {
            self.watch
                .stalls
                .set_threshold(Duration::from_micros(value));
        } else if !self.running.set(knob, value) {
            tracing::debug!(?knob, "no running workload has this knob");
        }
    }

    /// Every knob's value as the running workloads have it.
    pub fn settings(&self) -> Settings {
        let mut settings = self.running.settings();
        settings.set(
            STALL_THRESHOLD,
            self.watch.stalls.threshold().as_micros() as u64,
        );
        settings
    }

    pub fn workers(&self) -> usize {
        self.runtime
            .as_ref()
            .map_or(0, |rt| rt.metrics().num_workers())
    }
}

impl Source for Observed {
    fn sample(&mut self) -> Vec<Snapshot> {
        vec![Observed::sample(self)]
    }

    fn workers(&self) -> usize {
        Observed::workers(self)
    }

    fn settings(&self) -> Option<Settings> {
        Some(Observed::settings(self))
    }

    fn apply(&mut self, effect: Effect) -> Result<Option<Scenario>, ScenarioError> {
        Observed::apply(self, effect)
    }

    fn task_dump(&self) -> Option<DumpFuture> {
        let handle = self.runtime.as_ref()?.handle().clone();
        Some(Box::pin(async move { taskdump::take(&handle).await }))
    }
}

/// A worker stuck in one long poll is busy, whatever tokio's counters (which
/// it publishes only between polls) say yet.
impl Drop for Observed {
    fn drop(&mut self) {
        // A workload may have every worker blocked; never wait for it.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Group;
    use crate::workload::queue::report::QueueSample;

    #[test]
    fn a_scenario_that_cannot_start_leaves_the_running_one_running() {
        // A "TLS" server that answers in plain text: the request workload's
        // handshake check refuses it.
        let target = Some(crate::workload::requests::test_support::plain_text_as_tls());
        let queue = Settings::defaults(&[Group::Queue]);
        let mut observed = Observed::start_with_target(1, &queue, target).unwrap();
        let requests = Settings::defaults(&[Group::Requests]);
        assert!(observed.switch(&requests).is_err());
        std::thread::sleep(Duration::from_millis(300));
        let queue = observed.sample();
        let queue = queue.section::<QueueSample>().expect("queue runs");
        assert!(queue.consumed_per_s > 0.0, "{queue:?}");
        assert_eq!(queue.consumers, 4);
    }
}
