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
    /// Whether the runtime measured poll times, scheduling delays and long
    /// polls (it does not without `tokio_unstable`).
    polls_measured: bool,
    delays_measured: bool,
    stalls_measured: bool,
}

/// What a summary line says of figures the runtime did not measure.
const UNMEASURED: &str = "not measured (the runtime was built without --cfg tokio_unstable)";

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
        if let Some(delay) = &s.schedule_delay {
            self.delays_measured = true;
            self.worst_delay_p99_us = self.worst_delay_p99_us.max(delay.p99_us);
            self.max_delay_us = self.max_delay_us.max(delay.max_us);
            self.slow_waits += delay.slow;
        }
        // The hooks time long polls exactly, a running one too; the
        // histogram knows the others by bucket.
        let exact = s.stalls().worst.as_ref().map(|w| w.duration_us);
        let bucketed = s.poll_times.as_ref().map(|p| (p.max_us, p.max_exact));
        for (us, is_exact) in bucketed.into_iter().chain([(exact.unwrap_or(0.0), true)]) {
            if us > self.max_poll_us {
                (self.max_poll_us, self.max_poll_exact) = (us, is_exact);
            }
        }
        if let Some(polls) = &s.poll_times {
            self.polls_measured = true;
            self.worst_p99_us = self.worst_p99_us.max(polls.p99_us);
            self.slow_polls += polls.slow;
        }
        self.alive_tasks = s.runtime.alive_tasks;
        if let Some(stalls) = &s.stalls {
            self.stalls_measured = true;
            self.long_polls += stalls.long_polls;
            self.stall_threshold_us = stalls.threshold_us;
            self.culprits.clone_from(&stalls.culprits);
        }
        // A warning counts in the ticks its rule fired, not those it
        // lingered on after.
        for warning in s.warnings.iter().filter(|w| !w.clearing) {
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
        text += &format!("workers  busy {}\n", busy.join("  "));
        text += &self.render_polls();
        text += &format!("tasks    {} alive at the end\n", self.alive_tasks);
        text += &self.render_stalls();
        text + &self.render_warnings()
    }

    fn render_polls(&self) -> String {
        let polls = if self.polls_measured {
            format!(
                "worst tick p99 {}, longest poll {}, {} slow polls (≥1ms)",
                format::bucket(self.worst_p99_us),
                if self.max_poll_exact {
                    format::micros(self.max_poll_us)
                } else {
                    format::bucket(self.max_poll_us)
                },
                self.slow_polls,
            )
        } else {
            UNMEASURED.to_string()
        };
        let delay = if self.delays_measured {
            format!(
                "worst tick p99 {}, longest wait {}, {} waits ≥1ms before a poll",
                format::bucket(self.worst_delay_p99_us),
                format::bucket(self.max_delay_us),
                self.slow_waits,
            )
        } else {
            UNMEASURED.to_string()
        };
        format!("polls    {polls}\ndelay    {delay}\n")
    }

    fn render_stalls(&self) -> String {
        if !self.stalls_measured {
            return format!("stalls   {UNMEASURED}\n");
        }
        let worst = self.culprits.first().map_or(String::new(), |c| {
            format!(
                "; worst in the last minute: {} ({}) ×{}, longest {}, {}",
                c.location,
                c.task,
                c.count,
                format::micros(c.longest_us),
                match (c.cause, &c.syscall) {
                    (Cause::Blocked, Some(call)) => format!("blocked in {call}"),
                    (cause, _) => cause.name().to_string(),
                }
            )
        });
        format!(
            "stalls   {} polls ≥{}{worst}\n",
            self.long_polls,
            format::micros(self.stall_threshold_us),
        )
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
