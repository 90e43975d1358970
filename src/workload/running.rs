//! The workloads a scenario runs, side by side on the observed runtime:
//! started together, steered by knob, sampled together, stopped together.

use tokio::runtime::Handle;

use super::contract::{Tick, Workload};
use super::requests::Target;
use crate::sampler::sections::Sections;
use crate::settings::{Group, KnobId, Settings};

#[derive(Default)]
pub struct Running {
    workloads: Vec<(Group, Box<dyn Workload>)>,
}

impl Running {
    /// Starts the workloads `settings` has knobs for; a workload that sends
    /// requests sends them to `target`, or to its own server. Fails only if
    /// a workload cannot start (a server that cannot bind a port).
    pub fn start(
        handle: &Handle,
        settings: &Settings,
        target: Option<&Target>,
    ) -> std::io::Result<Self> {
        let mut workloads = Vec::new();
        for group in settings.workloads() {
            let (Some(kind), Some(values)) = (group.kind(), settings.values(group)) else {
                continue;
            };
            workloads.push((group, (kind.start)(handle, &values, target)?));
        }
        Ok(Self { workloads })
    }

    /// Passes a knob to its workload; false if no running workload has it.
    pub fn set(&mut self, knob: KnobId, value: u64) -> bool {
        match self.workloads.iter_mut().find(|(g, _)| *g == knob.group) {
            Some((_, workload)) => {
                workload.set(knob.index, value);
                true
            }
            None => false,
        }
    }

    /// Every running workload's section of this tick.
    pub fn sample(&mut self, tick: &Tick) -> Sections {
        let mut sections = Sections::default();
        for (_, workload) in &mut self.workloads {
            workload.sample(tick, &mut sections);
        }
        sections
    }

    /// Totals count from now on.
    pub fn reset(&mut self) {
        for (_, workload) in &mut self.workloads {
            workload.reset();
        }
    }

    /// Every running workload's knob values, in settings order (the
    /// runtime's knobs at their defaults).
    pub fn settings(&self) -> Settings {
        let groups: Vec<Group> = self.workloads.iter().map(|(g, _)| *g).collect();
        let mut settings = Settings::defaults(&groups);
        for (group, workload) in &self.workloads {
            for (index, value) in workload.values().into_iter().enumerate() {
                settings.set(
                    KnobId {
                        group: *group,
                        index,
                    },
                    value,
                );
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
            let mut running = Running::start(rt.handle(), &scenario.settings, None).unwrap();
            assert_eq!(running.settings(), scenario.settings, "{}", scenario.name);
            let sections = running.sample(&Tick::default());
            assert_eq!(
                sections.len(),
                scenario.settings.workloads().len(),
                "{}: a section per workload",
                scenario.name
            );
        }
    }
}
