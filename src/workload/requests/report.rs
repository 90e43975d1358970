//! HTTP requests as the rest of looptop sees them: their section of a tick,
//! their pane, their summary lines.

use serde::{Deserialize, Serialize};

use super::knobs::{Mode, REQUEST_KNOBS};
#[cfg(feature = "ui")]
use super::pane;
use super::{RequestCounters, RequestsWorkload};
use crate::sampler::rates::per_second;
use crate::sampler::sections::{SectionReader, WorkloadSample};
use crate::sampler::snapshot::Latency;
use crate::sampler::Snapshot;
use crate::workload::contract::{Counting, Kind, Readings, SummaryPart, Tick};
use crate::workload::knob::{by_name, from_name, Choice};

pub static KIND: Kind = Kind {
    name: "requests",
    knobs: &REQUEST_KNOBS,
    start: |handle, values, target| {
        Ok(Counting::boxed(RequestsWorkload::start(
            handle, values, target,
        )?))
    },
    #[cfg(feature = "ui")]
    want: pane::want,
    #[cfg(feature = "ui")]
    draw: pane::draw,
    summary: || Box::<RequestsSummary>::default(),
    section: SectionReader::of::<RequestsSample>(),
};

pub(super) fn section(
    workload: &mut RequestsWorkload,
    r: Readings<'_, RequestCounters>,
    _: &Tick,
) -> RequestsSample {
    let (before, after, baseline, elapsed) = (r.before, r.after, r.baseline, r.elapsed);
    let total = |f: fn(&RequestCounters) -> u64| f(after).saturating_sub(f(baseline));
    RequestsSample {
        mode: after.mode,
        concurrency: after.concurrency,
        target: after.target.clone(),
        sent_per_s: per_second(before.sent, after.sent, elapsed),
        ok_per_s: per_second(before.ok, after.ok, elapsed),
        in_flight: after.in_flight,
        latency: workload.take_latency(),
        sent: total(|c| c.sent),
        ok: total(|c| c.ok),
        redirects: total(|c| c.redirects),
        client_errors: total(|c| c.client_errors),
        server_errors: total(|c| c.server_errors),
        timeouts: total(|c| c.timeouts),
        connect_errors: total(|c| c.connect_errors),
        other_errors: total(|c| c.other_errors),
        too_large: total(|c| c.too_large),
        cancelled: total(|c| c.cancelled),
        shed: total(|c| c.shed),
        pages_crawled: total(|c| c.pages_crawled),
        links_found: total(|c| c.links_found),
        crawls: total(|c| c.crawls),
        last_crawl_pages: after.last_crawl_pages,
        out_of_files: total(|c| c.out_of_files),
        open_files_limit: after.open_files_limit,
        backing_off: after.backing_off,
        site_cpu_cores: match (before.site_cpu, after.site_cpu) {
            (Some(b), Some(a)) if !elapsed.is_zero() => {
                Some(a.saturating_sub(b).as_secs_f64() / elapsed.as_secs_f64())
            }
            _ => None,
        },
        site_connections: after.site_connections,
    }
}

/// The latest section: its totals cover the run.
#[derive(Debug, Default)]
struct RequestsSummary(Option<RequestsSample>);

impl SummaryPart for RequestsSummary {
    fn add(&mut self, snapshot: &Snapshot) {
        if let Some(r) = snapshot.section::<RequestsSample>() {
            self.0 = Some(r.clone());
        }
    }

    fn render(&self) -> String {
        let Some(r) = &self.0 else {
            return String::new();
        };
        let mut text = format!(
            "http     {} sent to {} ({}): {} ok, {} 3xx, {} 4xx, {} 5xx, {} timed out, {} connect errors, {} too large, {} other errors\n",
            r.sent, r.target, r.mode.name(), r.ok, r.redirects, r.client_errors, r.server_errors, r.timeouts, r.connect_errors, r.too_large, r.other_errors
        );
        if r.mode == Mode::Crawl {
            text += &format!(
                "crawl    {} pages, {} links, {} crawls done\n",
                r.pages_crawled, r.links_found, r.crawls
            );
        }
        text
    }
}

/// HTTP requests: how many, how fast, how they ended, and the crawl.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestsSample {
    #[serde(serialize_with = "by_name", deserialize_with = "from_name")]
    pub mode: Mode,
    pub concurrency: u64,
    /// Where requests go: the embedded site or --target.
    pub target: String,
    pub sent_per_s: f64,
    pub ok_per_s: f64,
    pub in_flight: u64,
    /// Of answered and timed-out requests, a timed-out one at its timeout
    /// and a shed one when it was due: from the scheduled time in the open
    /// loop, from sending otherwise.
    pub latency: Latency,
    /// Since start or the last statistics reset.
    pub sent: u64,
    pub ok: u64,
    /// 3xx answers, not followed.
    pub redirects: u64,
    pub client_errors: u64,
    pub server_errors: u64,
    pub timeouts: u64,
    pub connect_errors: u64,
    pub other_errors: u64,
    /// Answers given up when their body passed the `max_body` knob.
    pub too_large: u64,
    pub cancelled: u64,
    pub shed: u64,
    pub pages_crawled: u64,
    pub links_found: u64,
    pub crawls: u64,
    pub last_crawl_pages: u64,
    /// Connections refused for want of a file descriptor (client or site).
    pub out_of_files: u64,
    /// The process's limit on open files, where the system says.
    pub open_files_limit: Option<u64>,
    /// Requesters waiting before they try again after a failure.
    pub backing_off: u64,
    /// The embedded site's side: the cores' worth of CPU its thread used
    /// this tick, and the connections open to it; null with --target.
    pub site_cpu_cores: Option<f64>,
    pub site_connections: Option<u64>,
}

impl WorkloadSample for RequestsSample {
    const KEY: &'static str = "requests";
}
