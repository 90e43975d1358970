//! The read-only endpoint (`--serve ADDR`): what this run shows, for
//! `looptop attach ADDR` in another terminal and for Prometheus. It serves
//! from a thread and runtime of its own, so a blocked observed runtime is
//! still reported, and it serves only reads: nothing it answers changes a
//! knob.
//!
//! - `GET /looptop/v1/info`: the run's header, as a recording begins with
//!   (format version, scenario, workers, tick, every knob);
//! - `GET /looptop/v1/ticks?after=N`: the ticks published after number N
//!   (the last few hundred are kept), one JSON line each, as headless mode
//!   prints them; the `x-looptop-last` header gives the last one's number;
//! - `GET /metrics`: the same figures in Prometheus's text format.

pub mod metrics;
mod server;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use crate::recording::{Change, Header};
use crate::sampler::Snapshot;
use crate::settings::Settings;

pub use server::Server;

/// Where the endpoint's paths begin.
pub const PREFIX: &str = "/looptop/v1";

/// Ticks kept for attachers that fall behind: a minute at 250 ms, more
/// than any retry waits.
const KEPT: usize = 256;

/// What the endpoint serves, as the run publishes it.
pub struct Published {
    header: Header,
    settings: Settings,
    /// (number, JSON line) of the last ticks.
    ticks: VecDeque<(u64, String)>,
    next: u64,
    metrics: metrics::Totals,
}

impl Published {
    fn new(header: Header, settings: Settings) -> Self {
        Self {
            header,
            settings,
            ticks: VecDeque::with_capacity(KEPT),
            next: 1,
            metrics: metrics::Totals::default(),
        }
    }

    /// The ticks after number `after`, and the number of the last.
    fn after(&self, after: u64) -> (String, u64) {
        let mut body = String::new();
        for (_, line) in self.ticks.iter().filter(|(n, _)| *n > after) {
            body.push_str(line);
            body.push('\n');
        }
        let last = self.ticks.back().map_or(0, |(n, _)| *n);
        (body, last)
    }
}

/// The run's side: it publishes each tick and change; the server thread
/// answers from what was published.
#[derive(Clone)]
pub struct Publisher {
    published: Arc<Mutex<Published>>,
    pub addr: SocketAddr,
}

impl Publisher {
    /// Serves on `addr` from a thread of its own; an address that cannot
    /// be bound is an error here.
    pub fn serve(addr: SocketAddr, header: Header, settings: Settings) -> Result<Self, String> {
        let published = Arc::new(Mutex::new(Published::new(header, settings)));
        let server = Server::start(addr, published.clone())?;
        Ok(Self {
            published,
            addr: server.addr,
        })
    }

    pub fn tick(&self, snapshot: &Snapshot) {
        let Ok(line) = serde_json::to_string(snapshot) else {
            return;
        };
        let mut published = lock(&self.published);
        let number = published.next;
        published.next += 1;
        if published.ticks.len() == KEPT {
            published.ticks.pop_front();
        }
        published.ticks.push_back((number, line));
        published.metrics.add(snapshot);
    }

    pub fn change(&self, change: &Change) {
        let mut published = lock(&self.published);
        match change {
            Change::Knob(knob, value) => {
                published.settings.set(*knob, *value);
            }
            Change::Scenario(name, settings) => {
                published.header.scenario = name.clone();
                published.settings = settings.clone();
            }
        }
        let workers = published.header.workers;
        let tick_s = published.header.tick_s;
        let scenario = published.header.scenario.clone();
        published.header = Header::new(&scenario, workers, tick_s, &published.settings);
    }
}

/// The lock, even if a thread panicked holding it: what it guards is
/// whole after every step.
fn lock(published: &Mutex<Published>) -> std::sync::MutexGuard<'_, Published> {
    published
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
