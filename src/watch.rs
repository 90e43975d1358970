//! Watch your own tokio program with looptop: instrument its runtime's
//! builder, then serve the runtime's figures from a thread of its own, for
//! `looptop attach ADDR` and for Prometheus (`GET /metrics`).
//!
//! ```no_run
//! use std::time::Duration;
//!
//! let mut builder = tokio::runtime::Builder::new_multi_thread();
//! builder.enable_all();
//! // Two workers, and the poll hooks that time polls and scheduling delays.
//! let watch = looptop::watch::Watch::instrument(&mut builder, 2);
//! let runtime = builder.build()?;
//! // Loopback unless you say otherwise; reads only.
//! let serving = watch.serve(runtime.handle(), "127.0.0.1:6670".parse()?, "my-server")?;
//! println!("looptop attach {}", serving.addr());
//! runtime.block_on(async {
//!     // ... your program ...
//!     tokio::time::sleep(Duration::from_secs(60)).await;
//! });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The dependency: `looptop = { version = "0.1", default-features = false }`
//! leaves the dashboard out (ratatui, crossterm, clap).
//!
//! On stable tokio it shows what stable tokio measures: the workers, their
//! busy time and parks, alive tasks and the global queue. Build with
//! `RUSTFLAGS="--cfg tokio_unstable"` for the rest, which are tokio's
//! unstable API: the long polls with their tasks and spawn locations (the
//! poll hooks), poll times and scheduling delay (timed by tokio, counted
//! by the same hooks), polls, steals, the local queues, spawned and
//! completed tasks, the blocking pool and forced yields. Without it those come through as not measured:
//! null in the JSON, left out of `/metrics`, "not measured" or "–" in
//! the dashboard, never zero.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::{Builder, Handle};

use crate::diagnosis::Diagnosis;
use crate::endpoint::Publisher;
use crate::recording::Header;
use crate::sampler::sections::Sections;
use crate::sampler::{Sampler, Snapshot};
use crate::settings::{Settings, STALL_THRESHOLD};
use crate::stall::{PollTracker, StallWatch};

/// How often an embedded watch samples: the dashboard's default tick.
pub const TICK: Duration = Duration::from_millis(250);

/// A runtime's tick as looptop shows it: tokio's metrics, the long polls
/// and the warnings. `Observed` adds its workloads' sections to it.
pub struct RuntimeWatch {
    sampler: Sampler,
    pub stalls: StallWatch,
    diagnosis: Diagnosis,
}

impl RuntimeWatch {
    pub fn new(handle: &Handle, tracker: Arc<PollTracker>) -> Self {
        Self {
            sampler: Sampler::new(handle).with_tracker(tracker.clone()),
            stalls: StallWatch::new(tracker),
            diagnosis: Diagnosis::default(),
        }
    }

    /// A tick, with the sections `sections` makes of the runtime's figures.
    pub fn sample(&mut self, sections: impl FnOnce(&Snapshot) -> Sections) -> Snapshot {
        let mut snapshot = self.sampler.sample();
        snapshot.sections = sections(&snapshot);
        snapshot.stalls = self.stalls.sample(self.sampler.worker_cpu());
        let exact = snapshot.stalls().longest_ended_us;
        if let (Some(exact), Some(poll_times)) = (exact, &mut snapshot.poll_times) {
            poll_times.refine_max(exact);
        }
        mark_blocked_workers(&mut snapshot);
        snapshot.warnings = self.diagnosis.update(&snapshot);
        snapshot
    }

    /// Statistics from now on.
    pub fn reset(&mut self) {
        self.sampler.reset();
        self.stalls.reset();
        self.diagnosis.reset();
    }
}

/// A worker in a long poll now is busy and blocked, whatever tokio's
/// counters (published only between polls) say yet.
fn mark_blocked_workers(snapshot: &mut Snapshot) {
    for stall in snapshot.stalls.iter().flat_map(|s| &s.running) {
        if let Some(worker) = snapshot.workers.get_mut(stall.worker) {
            worker.busy_ratio = 1.0;
            worker.blocked_us = Some(stall.duration_us);
        }
    }
    let n = snapshot.workers.len().max(1) as f64;
    snapshot.runtime.busy_ratio = snapshot.workers.iter().map(|w| w.busy_ratio).sum::<f64>() / n;
}

/// The instruments put on a program's runtime builder.
pub struct Watch {
    tracker: Arc<PollTracker>,
    workers: usize,
}

impl Watch {
    /// Instruments `builder` (a multi-thread one) for `workers` worker
    /// threads, which it sets: the poll hooks that count poll times, time
    /// long polls (10 ms and over), note where their tasks were spawned,
    /// and count how long each task waited for a worker.
    pub fn instrument(builder: &mut Builder, workers: usize) -> Self {
        let threshold = Duration::from_micros(STALL_THRESHOLD.spec().default);
        let tracker = PollTracker::new(workers, threshold);
        tracker.install(builder);
        builder.worker_threads(workers);
        Self { tracker, workers }
    }

    /// Samples the runtime of `handle` every tick, from a thread of its
    /// own (so a blocked runtime is still reported), and serves what it
    /// sees on `addr`, under `name`. Stops when the `Serving` is dropped.
    pub fn serve(self, handle: &Handle, addr: SocketAddr, name: &str) -> io::Result<Serving> {
        let mut settings = Settings::defaults(&[]);
        settings.set(STALL_THRESHOLD, self.tracker.threshold().as_micros() as u64);
        let header = Header::new(name, self.workers, TICK.as_secs_f64(), &settings);
        let publisher = Publisher::serve(addr, header, settings).map_err(io::Error::other)?;
        let addr = publisher.addr;
        let mut watch = RuntimeWatch::new(handle, self.tracker);
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::Builder::new()
            .name("looptop-watch".to_string())
            .spawn(move || {
                let mut due = Instant::now() + TICK;
                while !stopped.load(Ordering::Relaxed) {
                    std::thread::sleep(due.saturating_duration_since(Instant::now()));
                    due += TICK;
                    publisher.tick(&watch.sample(|_| Sections::default()));
                }
            })?;
        Ok(Serving { addr, stop })
    }
}

/// A watch serving; dropping it stops the sampling.
pub struct Serving {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl Serving {
    /// Where it serves (the port, if 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampler::snapshot::{Stall, StallSample, WorkerSample};

    #[test]
    fn a_worker_in_a_long_poll_counts_as_busy_and_blocked() {
        let mut snapshot = Snapshot {
            workers: vec![WorkerSample::default(), WorkerSample::default()],
            ..Snapshot::default()
        };
        snapshot.stalls = Some(StallSample::default());
        snapshot.stalls.as_mut().unwrap().running = vec![Stall {
            worker: 1,
            duration_us: 2_500_000.0,
            ..Stall::default()
        }];
        mark_blocked_workers(&mut snapshot);
        assert_eq!(snapshot.workers[1].busy_ratio, 1.0);
        assert_eq!(snapshot.workers[1].blocked_us, Some(2_500_000.0));
        assert_eq!(snapshot.workers[0].blocked_us, None);
        assert_eq!(snapshot.runtime.busy_ratio, 0.5);
    }
}
