//! Who stalled a worker: long polls from tokio's task hooks, named and
//! grouped by spawn location.

pub mod cause;
pub mod culprits;
pub mod duration_histogram;
pub mod names;
pub mod tracker;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cpu_time::Sched;
use crate::sampler::snapshot::{Stall, StallSample};
use cause::{Cause, ThreadReading, Verdict};
use culprits::{Culprits, Ended};
pub use tracker::{LongPoll, PollTracker};

/// How far back the culprit list looks.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Spawn locations the culprit list keeps.
const TOP: usize = 8;

/// The tracker's long polls, turned into one sample per tick.
pub struct StallWatch {
    tracker: Arc<PollTracker>,
    culprits: Culprits,
    /// The polls running at the last tick, by (worker, start), with their
    /// thread's reading then and what it showed.
    running: HashMap<(usize, u64), (ThreadReading, Verdict)>,
    /// Every worker thread's CPU time at the last tick, by thread: a poll
    /// first seen now began after it, or during it.
    threads_before: HashMap<u64, ThreadReading>,
}

impl StallWatch {
    pub fn new(tracker: Arc<PollTracker>) -> Self {
        Self {
            tracker,
            culprits: Culprits::new(WINDOW),
            running: HashMap::new(),
            threads_before: HashMap::new(),
        }
    }

    /// One tick's long polls; `workers_cpu` is the sampler's reading of
    /// every worker thread's CPU time this tick, kept for the next. None
    /// where polls are not tracked (without `tokio_unstable`).
    pub fn sample(&mut self, workers_cpu: (Instant, Vec<(u64, Sched)>)) -> Option<StallSample> {
        if !tracker::HOOKED {
            return None;
        }
        let (polls, overflow) = self.tracker.take();
        let verdicts = self.judge(&polls);
        let (at, cpu) = workers_cpu;
        self.threads_before = cpu
            .into_iter()
            .map(|(thread, sched)| {
                let reading = ThreadReading {
                    at,
                    sched,
                    asleep: false,
                    syscall: None,
                };
                (thread, reading)
            })
            .collect();
        let stalls: Vec<Stall> = polls.iter().zip(verdicts).map(stall).collect();
        let finished = stalls.iter().zip(&polls).filter(|(s, _)| !s.running);
        let long_polls = finished.clone().count() as u64 + overflow;
        self.culprits.record(
            Instant::now(),
            finished.map(|(s, p)| Ended {
                location: p.location,
                duration: p.duration,
                task: s.task.clone(),
                cause: s.cause,
                syscall: s.syscall.clone(),
            }),
        );
        let longest_ended_us = stalls
            .iter()
            .filter(|s| !s.running)
            .map(|s| s.duration_us)
            .reduce(f64::max);
        let worst = stalls
            .iter()
            .max_by(|a, b| a.duration_us.total_cmp(&b.duration_us))
            .cloned();
        let running = stalls.into_iter().filter(|s| s.running).collect();
        Some(StallSample {
            threshold_us: micros(self.tracker.threshold()),
            long_polls,
            longest_ended_us,
            worst,
            culprits: self.culprits.top(TOP),
            running,
        })
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
        self.running.clear();
    }

    /// Each poll's cause: a running one from its thread's scheduler counts
    /// now and a tick ago, an ended one as it was last seen running. A poll
    /// first seen in user space, with only a bound from the tick before,
    /// gets a second look a millisecond later. Costs a clock read and two
    /// /proc reads per worker in a long poll (twice with a second look),
    /// none otherwise.
    fn judge(&mut self, polls: &[LongPoll]) -> Vec<Verdict> {
        let mut before = std::mem::take(&mut self.running);
        let mut verdicts: Vec<Verdict> = Vec::with_capacity(polls.len());
        let mut readings: Vec<Option<ThreadReading>> = Vec::with_capacity(polls.len());
        let mut shares: Vec<Option<cause::Share>> = vec![None; polls.len()];
        for p in polls {
            let key = (p.worker, p.started);
            if !p.running {
                verdicts.push(before.remove(&key).map(|(_, v)| v).unwrap_or_default());
                readings.push(None);
                continue;
            }
            let now = cause::read_thread(p.thread);
            let earlier = before
                .get(&key)
                .map(|(reading, _)| reading)
                .or_else(|| self.threads_before.get(&p.thread));
            let share =
                now.and_then(|now| earlier.and_then(|e| cause::share_since(&now, e, p.duration)));
            shares[verdicts.len()] = share;
            let verdict = now.map_or_else(Verdict::default, |now| cause::judge(&now, share));
            verdicts.push(verdict);
            readings.push(now);
        }
        let unsure: Vec<usize> = (0..polls.len())
            .filter(|&i| readings[i].is_some() && verdicts[i].cause == Cause::Unknown)
            .collect();
        if !unsure.is_empty() {
            std::thread::sleep(SECOND_LOOK);
            for i in unsure {
                let (p, first) = (&polls[i], readings[i].expect("filtered"));
                let now = cause::read_thread(p.thread);
                // A poll that ended meanwhile says nothing of its thread since.
                if let Some(now) = now.filter(|_| self.tracker.still_polling(p.worker, p.started)) {
                    let moment = cause::share_since(&now, &first, p.duration + SECOND_LOOK);
                    verdicts[i] = cause::judge_again(&now, moment, shares[i]);
                    readings[i] = Some(now);
                }
            }
        }
        for ((p, verdict), reading) in polls.iter().zip(&verdicts).zip(readings) {
            if let Some(reading) = reading {
                self.running
                    .insert((p.worker, p.started), (reading, verdict.clone()));
            }
        }
        verdicts
    }
}

/// How long a second look at a poll first seen in user space waits: long
/// enough for a computing thread to gain most of it on a core, short enough
/// not to hold up the sampler's tick.
const SECOND_LOOK: Duration = Duration::from_millis(1);

fn stall((p, verdict): (&LongPoll, Verdict)) -> Stall {
    Stall {
        task: task_name(p.task),
        location: culprits::location(p.location),
        worker: p.worker,
        duration_us: micros(p.duration),
        running: p.running,
        cause: verdict.cause,
        syscall: verdict.syscall,
        cpu_share: verdict.cpu_share,
    }
}

/// Whole microseconds: finer digits would be noise in the JSON.
fn micros(duration: Duration) -> f64 {
    duration.as_micros() as f64
}

fn task_name(task: u64) -> String {
    names::name_of(task).map_or_else(|| format!("task {task}"), |name| name.to_string())
}
