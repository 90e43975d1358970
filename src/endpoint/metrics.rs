//! `GET /metrics`: the runtime's figures in Prometheus's (OpenMetrics) text
//! format, written by the `prometheus-client` crate. Counters are the
//! ticks' rates summed back (polls, parks, steals); gauges are the latest
//! tick's; poll times and scheduling delay are histograms whose buckets are
//! the dashboard's decades, counted since the start. A poll-time sum is the
//! workers' busy time (tokio counts a worker busy while it polls); the
//! scheduling delay's sum is not measured, and is NaN rather than a guess.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use crate::recording::Header;
use crate::sampler::snapshot::Distribution;
use crate::sampler::Snapshot;

/// The bins' upper bounds, in seconds, as the histogram's `le`.
const BOUNDS: [f64; 6] = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, f64::INFINITY];

/// What the scrapes are made from: sums since the start, and the latest
/// tick.
#[derive(Default)]
pub struct Totals {
    polls: Vec<f64>,
    parks: Vec<f64>,
    steals: Vec<f64>,
    busy_s: f64,
    poll_times: [u64; 6],
    schedule_delay: [u64; 6],
    latest: Option<Snapshot>,
}

impl Totals {
    pub fn add(&mut self, s: &Snapshot) {
        let n = s.workers.len();
        for sums in [&mut self.polls, &mut self.parks, &mut self.steals] {
            sums.resize(n.max(sums.len()), 0.0);
        }
        for (w, worker) in s.workers.iter().enumerate() {
            self.polls[w] += worker.polls_per_s.unwrap_or(0.0) * s.interval_s;
            self.parks[w] += worker.parks_per_s * s.interval_s;
            self.steals[w] += worker.steals_per_s.unwrap_or(0.0) * s.interval_s;
            self.busy_s += worker.busy_ratio * s.interval_s;
        }
        if let Some(d) = &s.poll_times {
            add_bins(&mut self.poll_times, d);
        }
        if let Some(d) = &s.schedule_delay {
            add_bins(&mut self.schedule_delay, d);
        }
        self.latest = Some(s.clone());
    }
}

fn add_bins(sums: &mut [u64; 6], d: &Distribution) {
    for (sum, bin) in sums.iter_mut().zip(&d.bins) {
        *sum += bin.count;
    }
}

/// A histogram already counted: cumulative buckets, a count and a sum.
#[derive(Debug)]
struct Counted {
    sum: f64,
    count: u64,
    buckets: Vec<(f64, u64)>,
}

impl Counted {
    fn of(bins: &[u64; 6], sum: f64) -> Self {
        Self {
            sum,
            count: bins.iter().sum(),
            buckets: BOUNDS.iter().copied().zip(bins.iter().copied()).collect(),
        }
    }
}

impl EncodeMetric for Counted {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        encoder.encode_histogram::<NoLabelSet>(self.sum, self.count, &self.buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

type Labelled<M> = Family<Vec<(String, String)>, M>;

fn worker(w: usize) -> Vec<(String, String)> {
    vec![("worker".to_string(), w.to_string())]
}

/// The scrape's text.
pub fn render(totals: &Totals, header: &Header) -> String {
    let mut registry = Registry::with_prefix("looptop");
    let info: Labelled<Gauge> = Family::default();
    info.get_or_create(&vec![("scenario".to_string(), header.scenario.clone())])
        .set(1);
    registry.register("run", "The run this endpoint serves", info);
    // A runtime built without tokio_unstable does not count polls, steals,
    // its local queues and blocking pool, or either histogram: those
    // metrics are left out, not zero.
    let unstable = totals
        .latest
        .as_ref()
        .is_some_and(|s| s.runtime.polls_per_s.is_some());
    let counters = [
        ("polls", "Task polls, by worker", &totals.polls, unstable),
        (
            "parks",
            "Times a worker went to sleep, by worker",
            &totals.parks,
            true,
        ),
        (
            "steals",
            "Tasks a worker stole from another, by worker",
            &totals.steals,
            unstable,
        ),
    ];
    for (name, help, sums, _) in counters.into_iter().filter(|c| c.3) {
        let family: Labelled<Counter<u64>> = Family::default();
        for (w, sum) in sums.iter().enumerate() {
            family.get_or_create(&worker(w)).inc_by(sum.round() as u64);
        }
        registry.register(name, help, family);
    }
    let latest = totals.latest.as_ref();
    if latest.is_some_and(|s| s.poll_times.is_some()) {
        registry.register(
            "poll_duration_seconds",
            "How long task polls took (buckets: the dashboard's decades; sum: the workers' busy time)",
            Counted::of(&totals.poll_times, totals.busy_s),
        );
    }
    if latest.is_some_and(|s| s.schedule_delay.is_some()) {
        registry.register(
            "schedule_delay_seconds",
            "How long woken tasks waited to be polled (sum not measured: NaN)",
            Counted::of(&totals.schedule_delay, f64::NAN),
        );
    }
    let Some(s) = &totals.latest else {
        return encode(&registry);
    };
    let busy: Labelled<Gauge<f64, AtomicU64>> = Family::default();
    let blocked: Labelled<Gauge> = Family::default();
    for (w, sample) in s.workers.iter().enumerate() {
        busy.get_or_create(&worker(w)).set(sample.busy_ratio);
        blocked.get_or_create(&worker(w)).set(i64::from(held(s, w)));
    }
    registry.register(
        "worker_busy_ratio",
        "Share of the last tick a worker spent polling",
        busy,
    );
    if s.stalls.is_some() {
        registry.register(
            "worker_blocked",
            "1 while a worker is in a poll past the stall threshold",
            blocked,
        );
    }
    let runtime = &s.runtime;
    for (name, help, value) in [
        ("workers", "Worker threads", Some(runtime.workers)),
        ("alive_tasks", "Tasks alive", Some(runtime.alive_tasks)),
        (
            "global_queue_depth",
            "Tasks in the global run queue",
            Some(runtime.global_queue_depth),
        ),
        (
            "local_queue_depth",
            "Tasks in the workers' local run queues",
            runtime.local_queue_depth,
        ),
        (
            "blocking_threads",
            "Threads of the blocking pool",
            runtime.blocking_threads,
        ),
    ] {
        if let Some(value) = value {
            let gauge: Gauge = Gauge::default();
            gauge.set(value as i64);
            registry.register(name, help, gauge);
        }
    }
    if let Some(stalls) = &s.stalls {
        let long: Labelled<Gauge> = Family::default();
        for culprit in &stalls.culprits {
            let labels = vec![
                ("location".to_string(), culprit.location.clone()),
                ("task".to_string(), culprit.task.clone()),
            ];
            long.get_or_create(&labels).set(culprit.count as i64);
        }
        registry.register(
            "long_polls_last_minute",
            "Polls past the stall threshold in the last minute, by where their task was spawned",
            long,
        );
    }
    encode(&registry)
}

/// Whether worker `w` is in a poll past the stall threshold now.
fn held(s: &Snapshot, w: usize) -> bool {
    s.stalls().running.iter().any(|stall| stall.worker == w)
}

fn encode(registry: &Registry) -> String {
    let mut text = String::new();
    let _ = prometheus_client::encoding::text::encode(&mut text, registry);
    text
}
