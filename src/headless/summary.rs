//! The text summary headless mode prints at the end: running aggregates of
//! constant size, a few lines per workload the run had.

use crate::format;
use crate::sampler::snapshot::{
    Cause, ChainSample, Culprit, QueueSample, RequestsSample, ThreadsSample, TimeoutsSample,
    Warning,
};
use crate::sampler::Snapshot;

/// Running aggregates for the text summary; constant size.
#[derive(Debug, Default)]
pub struct Summary {
    scenario: String,
    ticks: u64,
    seconds: f64,
    workers: usize,
    queue: Option<QueueSummary>,
    chain: Option<ChainSummary>,
    /// The latest: its totals cover the run.
    timeouts: Option<TimeoutsSample>,
    threads: Option<ThreadsSample>,
    requests: Option<RequestsSample>,
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
            ..Self::default()
        }
    }

    pub fn add(&mut self, s: &Snapshot) {
        self.ticks += 1;
        self.seconds = s.uptime_s;
        self.workers = s.workers.len();
        if let Some(q) = s.section::<QueueSample>() {
            self.queue.get_or_insert_with(QueueSummary::default).add(q);
        }
        if let Some(t) = s.section::<TimeoutsSample>() {
            self.timeouts = Some(t.clone());
        }
        if let Some(r) = s.section::<RequestsSample>() {
            self.requests = Some(r.clone());
        }
        if let Some(t) = s.section::<ThreadsSample>() {
            self.threads = Some(t.clone());
        }
        if let Some(c) = s.section::<ChainSample>() {
            self.chain.get_or_insert_with(ChainSummary::default).add(c);
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
        if let Some(queue) = &self.queue {
            text += &queue.render(self.ticks);
        }
        if let Some(chain) = &self.chain {
            text += &chain.render();
        }
        if let Some(t) = &self.threads {
            text += &format!(
                "threads  {} jobs each: tasks {} running, {} jobs done/s; threads ({}) {} running, {} jobs done/s (last tick)\n",
                t.jobs,
                t.tasks.running,
                format::count(t.tasks.iterations_per_s),
                t.threads_via,
                t.threads.running,
                format::count(t.threads.iterations_per_s),
            );
        }
        if let Some(r) = &self.requests {
            text += &format!(
                "http     {} sent to {} ({}): {} ok, {} 4xx, {} 5xx, {} timed out, {} connect errors, {} too large, {} other errors\n",
                r.sent, r.target, r.mode, r.ok, r.client_errors, r.server_errors, r.timeouts, r.connect_errors, r.too_large, r.other_errors
            );
            if r.mode == "crawl" {
                text += &format!(
                    "crawl    {} pages, {} links, {} crawls done\n",
                    r.pages_crawled, r.links_found, r.crawls
                );
            }
        }
        if let Some(t) = &self.timeouts {
            text += &format!(
                "requests {} finished, {} timed out, {} cancelled (cancel by {})\n",
                t.finished_total, t.timed_out_total, t.cancelled_total, t.mode
            );
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

#[derive(Debug, Default)]
struct QueueSummary {
    produced_per_s: f64,
    consumed_per_s: f64,
    depth_sum: f64,
    depth_max: u64,
    capacity: u64,
    produced: u64,
    consumed: u64,
    ticks: u64,
}

impl QueueSummary {
    fn add(&mut self, q: &QueueSample) {
        self.ticks += 1;
        self.produced_per_s += q.produced_per_s;
        self.consumed_per_s += q.consumed_per_s;
        self.depth_sum += q.depth as f64;
        self.depth_max = self.depth_max.max(q.depth);
        self.capacity = q.capacity;
        self.produced = q.produced_total;
        self.consumed = q.consumed_total;
    }

    fn render(&self, _: u64) -> String {
        let n = self.ticks.max(1) as f64;
        format!(
            "queue    depth mean {:.1}, max {} of capacity {}\n\
             rates    produced {} and consumed {} on average; {} produced, {} consumed\n",
            self.depth_sum / n,
            self.depth_max,
            self.capacity,
            format::rate(self.produced_per_s / n),
            format::rate(self.consumed_per_s / n),
            self.produced,
            self.consumed,
        )
    }
}

#[derive(Debug, Default)]
struct ChainSummary {
    ticks: u64,
    done_per_s: f64,
    worst_p99_us: f64,
    /// Per stage: the sum of its busy ratios, for the mean.
    busy: Vec<f64>,
}

impl ChainSummary {
    fn add(&mut self, c: &ChainSample) {
        self.ticks += 1;
        self.done_per_s += c.done_per_s;
        self.worst_p99_us = self.worst_p99_us.max(c.latency.p99_us);
        self.busy.resize(self.busy.len().max(c.stages.len()), 0.0);
        for (sum, stage) in self.busy.iter_mut().zip(&c.stages) {
            *sum += stage.busy_ratio;
        }
    }

    fn render(&self) -> String {
        let n = self.ticks.max(1) as f64;
        let stages: Vec<String> = self
            .busy
            .iter()
            .enumerate()
            .map(|(i, sum)| format!("s{} {}", i + 1, format::percent(sum / n)))
            .collect();
        format!(
            "chain    {} through on average, worst tick p99 latency {}\n\
             stages   busy {}\n",
            format::rate(self.done_per_s / n),
            format::micros(self.worst_p99_us),
            stages.join("  "),
        )
    }
}
