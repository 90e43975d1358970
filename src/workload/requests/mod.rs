//! Concurrent HTTP requests, like the tutorial's crawler: a client on the
//! observed runtime (hyper; keep-alive connections, in hyper-util's shared
//! pool for the open loop and the crawl, one per requester, driven by the
//! requester itself, in the closed loop) against the embedded site or a
//! `--target` URL (HTTP or HTTPS). Three modes, switchable live: a closed loop of
//! concurrent requesters; an open loop at a rate, whose latency counts from
//! each request's scheduled time, so a stalled client shows as latency
//! rather than as a lower rate; and a breadth-first crawl that follows links
//! to a depth, fetches no page twice, and starts again.
//!
//! Here, the workload: its knobs applied, its modes' tasks, its counters.
//! The rest, a file a job:
//! - `client`: what the client's tasks share, and the connection handling
//!   every request goes through: hyper-util's pool, the deadline, the
//!   capped body, the errors that say why no answer came;
//! - `target` and `tls`: the `--target` URL, and HTTPS to it (rustls);
//! - `closed_loop`, `open_loop`, `crawl`: the three modes, the closed loop
//!   with the connections its requesters keep and drive themselves;
//! - `stats`: the counters, and how each request's end is counted once;
//! - `backoff`: waiting after a failure before trying again;
//! - `knobs`: the client's and the embedded site's knobs;
//! - `pane` and `report`: what the dashboard draws of it, its section of a
//!   tick and its summary lines;
//! - `server` and `site`: the embedded site, its HTTP server and its pages.

mod backoff;
mod client;
mod closed_loop;
mod crawl;
pub mod knobs;
mod open_loop;
#[cfg(feature = "ui")]
pub mod pane;
pub mod report;
pub mod server;
pub mod site;
mod stats;
pub mod target;
#[cfg(test)]
pub(crate) mod test_support;
mod tls;

use crate::workload::contract::{Counted, Readings, Tick};
use report::RequestsSample;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;

use super::knob::LiveKnobs;
use super::latency::Latency;
use super::task_group::TaskGroup;
use client::Shared;
use knobs::*;
use server::Site;
use stats::Ending;
pub use target::Target;

/// Cumulative counts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestCounters {
    pub mode: Mode,
    pub concurrency: u64,
    pub target: String,
    pub sent: u64,
    pub in_flight: u64,
    pub ok: u64,
    /// 3xx answers: not followed.
    pub redirects: u64,
    pub client_errors: u64,
    pub server_errors: u64,
    pub timeouts: u64,
    pub connect_errors: u64,
    pub other_errors: u64,
    /// Answers whose body passed the `max_body` knob, given up there.
    pub too_large: u64,
    /// Requests dropped unanswered when their mode or scenario stopped.
    pub cancelled: u64,
    /// Open loop: requests not sent because too many were in flight.
    pub shed: u64,
    pub pages_crawled: u64,
    pub links_found: u64,
    pub crawls: u64,
    /// Pages the last finished crawl fetched, and how many distinct.
    pub last_crawl_fetches: u64,
    pub last_crawl_pages: u64,
    /// Connections refused for want of a file descriptor, by the client
    /// or the embedded site.
    pub out_of_files: u64,
    /// The process's limit on open files.
    pub open_files_limit: Option<u64>,
    /// Requesters waiting before they try again after a failure.
    pub backing_off: u64,
    /// The embedded site's thread's CPU time and its open connections;
    /// `None` with `--target` (or where the OS does not say).
    pub site_cpu: Option<Duration>,
    pub site_connections: Option<u64>,
}

pub struct RequestsWorkload {
    shared: Arc<Shared>,
    /// The embedded site, unless a target was given.
    site: Option<Site>,
    requesters: TaskGroup,
    scheduler: TaskGroup,
    crawler: TaskGroup,
}

impl RequestsWorkload {
    /// Against `target`, or the embedded site. An https:// target whose
    /// certificate is refused is an error here, before any request.
    pub fn start(
        handle: &Handle,
        values: &[u64],
        target: Option<&Target>,
    ) -> std::io::Result<Self> {
        let knobs = Arc::new(LiveKnobs::new(&REQUEST_KNOBS, values));
        let (site, shared) = match target {
            Some(target) => (None, Shared::new(handle, knobs, target.clone(), false)?),
            None => {
                let site = Site::start(knobs.clone())?;
                let own = Target::parse(&format!("http://{}/", site.addr()))
                    .map_err(std::io::Error::other)?;
                (Some(site), Shared::new(handle, knobs, own, true)?)
            }
        };
        let mut workload = Self {
            shared: Arc::new(shared),
            site,
            requesters: TaskGroup::new(handle.clone(), "requester"),
            scheduler: TaskGroup::new(handle.clone(), "scheduler"),
            crawler: TaskGroup::new(handle.clone(), "crawler"),
        };
        workload.restart();
        Ok(workload)
    }

    /// Requests the embedded site answered, if it runs.
    pub fn site_hits(&self) -> Option<u64> {
        self.site.as_ref().map(Site::hits)
    }

    /// Connections the embedded site accepted, if it runs.
    pub fn site_connections(&self) -> Option<u64> {
        self.site.as_ref().map(Site::connections)
    }

    /// Takes the latencies recorded since the last call: once a tick, by
    /// the sampler.
    pub fn take_latency(&mut self) -> Latency {
        self.shared.stats.latency.take()
    }

    /// The tasks of the current mode, as many as it needs.
    fn restart(&mut self) {
        let mode: Mode = self.shared.knobs.choice(MODE);
        let concurrency = self.shared.knobs.get(CONCURRENCY) as usize;
        let shared = &self.shared;
        let closed = if mode == Mode::Closed { concurrency } else { 0 };
        self.requesters.resize(closed, |_, token| {
            closed_loop::requester(shared.clone(), token)
        });
        let open = usize::from(mode == Mode::Open);
        self.scheduler
            .resize(open, |_, token| open_loop::open_loop(shared.clone(), token));
        let crawl = usize::from(mode == Mode::Crawl);
        self.crawler
            .resize(crawl, |_, token| crawl::crawler(shared.clone(), token));
    }
}
impl Counted for RequestsWorkload {
    type Counts = RequestCounters;
    type Sample = RequestsSample;

    fn set(&mut self, index: usize, value: u64) {
        let before = self.shared.knobs.get(index);
        self.shared.knobs.set(index, value);
        let changed = self.shared.knobs.get(index) != before;
        // The crawl's semaphore is sized when a crawl starts: restart it.
        let crawling = self.shared.knobs.choice::<Mode>(MODE) == Mode::Crawl;
        if changed && (index == MODE || (index == CONCURRENCY && crawling)) {
            self.requesters.resize(0, |_, _| async {});
            self.scheduler.resize(0, |_, _| async {});
            self.crawler.resize(0, |_, _| async {});
        }
        if changed && matches!(index, MODE | CONCURRENCY) {
            self.restart();
        }
    }

    fn values(&self) -> Vec<u64> {
        self.shared.knobs.values()
    }

    fn counters(&self) -> RequestCounters {
        let s = &self.shared.stats;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        RequestCounters {
            mode: self.shared.knobs.choice(MODE),
            concurrency: self.shared.knobs.get(CONCURRENCY),
            target: self.shared.shown_target(),
            sent: get(&s.sent),
            in_flight: get(&s.in_flight),
            ok: s.ended(Ending::Ok),
            redirects: s.ended(Ending::Redirected),
            client_errors: s.ended(Ending::ClientError),
            server_errors: s.ended(Ending::ServerError),
            timeouts: s.ended(Ending::TimedOut),
            connect_errors: s.ended(Ending::ConnectError),
            other_errors: s.ended(Ending::OtherError),
            too_large: s.ended(Ending::TooLarge),
            cancelled: s.ended(Ending::Cancelled),
            shed: get(&s.shed),
            pages_crawled: get(&s.pages_crawled),
            links_found: get(&s.links_found),
            crawls: get(&s.crawls),
            last_crawl_fetches: get(&s.last_crawl_fetches),
            last_crawl_pages: get(&s.last_crawl_pages),
            out_of_files: get(&s.out_of_files) + self.site.as_ref().map_or(0, Site::out_of_files),
            open_files_limit: self.shared.open_files_limit,
            backing_off: get(&s.backing_off),
            site_cpu: self.site.as_ref().and_then(Site::cpu),
            site_connections: self.site.as_ref().map(|s| s.open_connections() as u64),
        }
    }

    fn section(&mut self, readings: Readings<'_, RequestCounters>, tick: &Tick) -> RequestsSample {
        report::section(self, readings, tick)
    }
}
