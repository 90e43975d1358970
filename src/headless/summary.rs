//! The text summary headless mode prints at the end: running aggregates of
//! constant size, a few lines per workload the run had.

use crate::format;
use crate::sampler::snapshot::{Cause, Culprit, Warning};
use crate::sampler::Snapshot;
use crate::settings::Group;
use crate::workload::contract::SummaryPart;

/// Running aggregates for the text summary; constant size.
#[derive(Default)]
pub struct Summary {
    scenario: String,
    ticks: u64,
    seconds: f64,
    workers: usize,
    /// Every workload's own lines; those that did not run print none.
    parts: Vec<Box<dyn SummaryPart>>,
    busy_sum: Vec<f64>,
    worst_p99_us: f64,
    worst_delay_p99_us: f64,
    max_delay_us: f64,
    slow_waits: u64,
    max_poll_us: f64,
    /// The longest poll was timed exactly (by the hooks), not bucketed.
    max_poll_exact: bool,
    slow_polls: u64,
    alive_tasks: usize,
    long_polls: u64,
    stall_threshold_us: f64,
    /// The culprit list at the end: the run's last minute.
    culprits: Vec<Culprit>,
    /// Each kind of warning seen, as first worded, and in how many ticks.
    warnings: Vec<(Warning, u64)>,
}

impl Summary {
    pub fn new(scenario: &str) -> Self {
        Self {
            scenario: scenario.to_string(),
            parts: Group::WORKLOADS
                .iter()
                .filter_map(|group| group.kind())
                .map(|kind| (kind.summary)())
                .collect(),
            ..Self::default()
        }
    }

    pub fn add(&mut self, s: &Snapshot) {
        self.ticks += 1;
        self.seconds = s.uptime_s;
        self.workers = s.workers.len();
        for part in &mut self.parts {
            part.add(s);
        }
        self.busy_sum.resize(s.workers.len(), 0.0);
        for (sum, w) in self.busy_sum.iter_mut().zip(&s.workers) {
            *sum += w.busy_ratio;
        }
        self.worst_p99_us = self.worst_p99_us.max(s.poll_times.p99_us);
        self.worst_delay_p99_us = self.worst_delay_p99_us.max(s.schedule_delay.p99_us);
        self.max_delay_us = self.max_delay_us.max(s.schedule_delay.max_us);
        self.slow_waits += s.schedule_delay.slow;
        // The hooks time long polls exactly, a running one too; the
        // histogram knows the others by bucket.
        let exact = s.stalls.worst.as_ref().map(|w| w.duration_us);
        for (us, is_exact) in [
            (s.poll_times.max_us, s.poll_times.max_exact),
            (exact.unwrap_or(0.0), true),
        ] {
            if us > self.max_poll_us {
                (self.max_poll_us, self.max_poll_exact) = (us, is_exact);
            }
        }
        self.slow_polls += s.poll_times.slow;
        self.alive_tasks = s.runtime.alive_tasks;
        self.long_polls += s.stalls.long_polls;
        self.stall_threshold_us = s.stalls.threshold_us;
        self.culprits.clone_from(&s.stalls.culprits);
        for warning in &s.warnings {
            match self
                .warnings
                .iter_mut()
                .find(|(w, _)| w.kind == warning.kind)
            {
                Some((_, ticks)) => *ticks += 1,
                None => self.warnings.push((warning.clone(), 1)),
            }
        }
    }

    pub fn render(&self) -> String {
        let n = self.ticks.max(1) as f64;
        let busy: Vec<String> = self
            .busy_sum
            .iter()
            .enumerate()
            .map(|(i, sum)| format!("w{i} {}", format::percent(sum / n)))
            .collect();
        let mut text = format!(
            "looptop summary: scenario {}, {:.1}s, {} workers, {} ticks\n",
            self.scenario, self.seconds, self.workers, self.ticks
        );
        for part in &self.parts {
            text += &part.render();
        }
        text + &format!(
            "workers  busy {}\n\
             polls    worst tick p99 {}, longest poll {}, {} slow polls (≥1ms)\n\
             delay    worst tick p99 {}, longest wait {}, {} waits ≥1ms before a poll\n\
             tasks    {} alive at the end\n\
             stalls   {} polls ≥{}{}\n",
            busy.join("  "),
            format::bucket(self.worst_p99_us),
            if self.max_poll_exact {
                format::micros(self.max_poll_us)
            } else {
                format::bucket(self.max_poll_us)
            },
            self.slow_polls,
            format::bucket(self.worst_delay_p99_us),
            format::bucket(self.max_delay_us),
            self.slow_waits,
            self.alive_tasks,
            self.long_polls,
            format::micros(self.stall_threshold_us),
            self.culprits.first().map_or(String::new(), |c| format!(
                "; worst in the last minute: {} ({}) ×{}, longest {}, {}",
                c.location,
                c.task,
                c.count,
                format::micros(c.longest_us),
                match (c.cause, &c.syscall) {
                    (Cause::Blocked, Some(call)) => format!("blocked in {call}"),
                    (cause, _) => cause.name().to_string(),
                }
            )),
        ) + &self.render_warnings()
    }

    fn render_warnings(&self) -> String {
        if self.warnings.is_empty() {
            return "warnings none\n".to_string();
        }
        self.warnings
            .iter()
            .map(|(w, ticks)| {
                format!(
                    "warning  {} (in {ticks} ticks, from {:.1}s): {} → {}\n",
                    w.kind.name(),
                    w.since_s,
                    w.message,
                    w.advice
                )
            })
            .collect()
    }
}
