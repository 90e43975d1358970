//! Who stalled a worker: long polls from tokio's task hooks, named and
//! grouped by spawn location.

pub mod culprits;
pub mod names;
pub mod tracker;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::sampler::snapshot::{Stall, StallSample};
use culprits::Culprits;
pub use tracker::{LongPoll, PollTracker};

/// How far back the culprit list looks.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Spawn locations the culprit list keeps.
const TOP: usize = 8;

/// The tracker's long polls, turned into one sample per tick.
pub struct StallWatch {
    tracker: Arc<PollTracker>,
    culprits: Culprits,
}

impl StallWatch {
    pub fn new(tracker: Arc<PollTracker>) -> Self {
        Self {
            tracker,
            culprits: Culprits::new(WINDOW),
        }
    }

    pub fn sample(&mut self) -> StallSample {
        let (polls, overflow) = self.tracker.take();
        let finished = polls.iter().filter(|p| !p.running);
        let long_polls = finished.clone().count() as u64 + overflow;
        self.culprits.record(
            Instant::now(),
            finished.map(|p| (p.location, p.duration, task_name(p.task))),
        );
        let worst = polls.iter().max_by_key(|p| p.duration).map(stall);
        let running = polls.iter().filter(|p| p.running).map(stall).collect();
        StallSample {
            threshold_us: micros(self.tracker.threshold()),
            long_polls,
            worst,
            culprits: self.culprits.top(TOP),
            running,
        }
    }

    pub fn threshold(&self) -> Duration {
        self.tracker.threshold()
    }

    pub fn set_threshold(&self, threshold: Duration) {
        self.tracker.set_threshold(threshold);
    }

    pub fn reset(&mut self) {
        self.tracker.forget_earlier();
        self.culprits.clear();
    }
}

fn stall(p: &LongPoll) -> Stall {
    Stall {
        task: task_name(p.task),
        location: culprits::location(p.location),
        worker: p.worker,
        duration_us: micros(p.duration),
        running: p.running,
    }
}

/// Whole microseconds: finer digits would be noise in the JSON.
fn micros(duration: Duration) -> f64 {
    duration.as_micros() as f64
}

fn task_name(task: u64) -> String {
    names::name_of(task).map_or_else(|| format!("task {task}"), |name| name.to_string())
}
