//! Many tasks: connection-like tasks, each asleep on a timer most of the
//! time and doing a little work when it wakes, spawned at a ramp rate up to
//! a count the user sets (to a million). What it shows is what a task
//! costs: resident memory per task, measured as they are spawned; the
//! timer's cost when their waits end together; and the scheduling delay.
//!
//! Tasks are spawned bare (no per-task name, no cancellation token), each
//! kept by its `AbortHandle` (a pointer into the task, in the spawner's
//! list: 8 bytes, counted in the memory per task): a million connections
//! would not carry a name string and a token each either, and looptop's
//! instrumentation adds nothing per task.

#[cfg(feature = "ui")]
pub mod pane;
pub mod report;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::priority;
use crate::workload::contract::{Counted, Readings, Tick};
use crate::workload::knob::{Choice, KnobSpec, LiveKnobs, Step, Unit};
use crate::workload::threads_vs_tasks::process_threads_and_rss;
use crate::workload::work;
use report::ManyTasksSample;

pub const TASKS: usize = 0;
pub const RAMP: usize = 1;
pub const WAIT: usize = 2;
pub const WORK: usize = 3;
pub const WAKE: usize = 4;

/// When the tasks' waits end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Wake {
    /// Each at its own phase of the wait: wake-ups spread evenly.
    #[default]
    Spread,
    /// All at the same instants, once per wait: the timer fires them in
    /// one burst, as a server whose connections all time out together.
    Together,
}

impl Choice for Wake {
    const ALL: &'static [Self] = &[Self::Spread, Self::Together];
    const NAMES: &'static [&'static str] = &["spread", "together"];
}

pub static MANY_KNOBS: [KnobSpec; 5] = [
    KnobSpec {
        id: "tasks",
        label: "tasks",
        range: 0..=1_000_000,
        unit: Unit::Count,
        step: Step::Ladder { first: 1 },
        default: 100_000,
    },
    KnobSpec {
        id: "ramp",
        label: "spawned /s",
        range: 1_000..=1_000_000,
        unit: Unit::Count,
        step: Step::Ladder { first: 1_000 },
        default: 50_000,
    },
    KnobSpec {
        id: "wait",
        label: "task wait",
        range: 1_000..=60_000_000,
        unit: Unit::Micros,
        step: Step::Ladder { first: 1_000 },
        default: 10_000_000,
    },
    KnobSpec {
        id: "work",
        label: "work/wake",
        range: 0..=1_000,
        unit: Unit::Micros,
        step: Step::Ladder { first: 1 },
        default: 1,
    },
    KnobSpec {
        id: "wake",
        label: "wake",
        range: 0..=1,
        unit: Unit::Choice(Wake::NAMES),
        step: Step::Linear { by: 1 },
        default: 0,
    },
];

/// How often the spawner grows or shrinks the tasks toward the count.
const RAMP_STEP: Duration = Duration::from_millis(10);

/// Fewer tasks than this added are too few to measure memory over: the
/// allocator's slack would swamp them.
const MEASURE_FROM: u64 = 1_000;

/// Counted where the tasks run: by worker thread, so a million wake-ups a
/// second do not all fight over one cache line.
#[derive(Default)]
#[repr(align(128))]
struct Shard {
    wakes: AtomicU64,
    late_ns: AtomicU64,
    late_max_ns: AtomicU64,
}

const SHARDS: usize = 16;

struct Shared {
    knobs: LiveKnobs,
    shards: [Shard; SHARDS],
    alive: AtomicU64,
    /// The instant "together" wake-ups count their periods from.
    epoch: Instant,
    memory: Mutex<Memory>,
    stop: AtomicBool,
}

impl Shared {
    fn shard(&self) -> &Shard {
        thread_local! {
            static SHARD: usize = {
                static NEXT: AtomicU64 = AtomicU64::new(0);
                NEXT.fetch_add(1, Ordering::Relaxed) as usize % SHARDS
            };
        }
        &self.shards[SHARD.with(|s| *s)]
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Resident memory per task, measured over a growth: how much the process
/// grew while the spawner added tasks, over the tasks added. The widest
/// growth is kept: memory freed by fewer tasks and handed out again to
/// more does not grow the process, and would read as free.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Memory {
    pub per_task: Option<u64>,
    pub over: u64,
    growing_from: Option<(u64, u64)>,
}

impl Memory {
    /// The spawner has `tasks` alive and the process `resident` bytes.
    fn note(&mut self, tasks: u64, resident: u64, growing: bool) {
        match (self.growing_from, growing) {
            (None, true) => self.growing_from = Some((tasks, resident)),
            (Some((from_tasks, from_resident)), _) => {
                let added = tasks.saturating_sub(from_tasks);
                if added >= MEASURE_FROM && added >= self.over {
                    self.per_task = Some(resident.saturating_sub(from_resident) / added);
                    self.over = added;
                }
                if !growing {
                    self.growing_from = None;
                }
            }
            (None, false) => {}
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ManyCounters {
    pub asked: u64,
    pub alive: u64,
    pub ramp_per_s: u64,
    pub wake: Wake,
    pub wakes: u64,
    pub late_ns: u64,
    /// The most late any wake-up ran since the last reading; reading
    /// resets it.
    pub late_max_ns: u64,
    pub memory: Memory,
    pub rss_bytes: u64,
}

pub struct ManyTasks {
    shared: Arc<Shared>,
}

impl ManyTasks {
    pub fn start(handle: &Handle, values: &[u64]) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            knobs: LiveKnobs::new(&MANY_KNOBS, values),
            shards: Default::default(),
            alive: AtomicU64::new(0),
            epoch: Instant::now(),
            memory: Mutex::default(),
            stop: AtomicBool::new(false),
        });
        let spawner = Spawner {
            handle: handle.clone(),
            shared: shared.clone(),
            tasks: Vec::new(),
        };
        thread::Builder::new()
            .name("looptop-spawner".into())
            .spawn(move || spawner.run())?;
        Ok(Self { shared })
    }
}

impl Drop for ManyTasks {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}

impl Counted for ManyTasks {
    type Counts = ManyCounters;
    type Sample = ManyTasksSample;

    fn set(&mut self, knob: usize, value: u64) {
        self.shared.knobs.set(knob, value);
    }

    fn values(&self) -> Vec<u64> {
        self.shared.knobs.values()
    }

    fn counters(&self) -> ManyCounters {
        let s = &self.shared;
        let sum = |pick: fn(&Shard) -> &AtomicU64| {
            s.shards
                .iter()
                .map(|shard| pick(shard).load(Ordering::Relaxed))
                .sum()
        };
        let late_max_ns = s
            .shards
            .iter()
            .map(|shard| shard.late_max_ns.swap(0, Ordering::Relaxed))
            .max()
            .unwrap_or(0);
        ManyCounters {
            asked: s.knobs.get(TASKS),
            alive: s.alive.load(Ordering::Relaxed),
            ramp_per_s: s.knobs.get(RAMP),
            wake: s.knobs.choice(WAKE),
            wakes: sum(|shard| &shard.wakes),
            late_ns: sum(|shard| &shard.late_ns),
            late_max_ns,
            memory: *s.memory(),
            rss_bytes: process_threads_and_rss().1,
        }
    }

    fn section(&mut self, readings: Readings<'_, ManyCounters>, _: &Tick) -> ManyTasksSample {
        report::section(readings)
    }
}

/// Grows the tasks toward the count at the ramp rate, or cuts them at once,
/// from a thread of its own at the workload's priority: spawning a
/// million tasks takes a second or more, which the dashboard must not spend.
struct Spawner {
    handle: Handle,
    shared: Arc<Shared>,
    /// Oldest first; cutting aborts the newest.
    tasks: Vec<AbortHandle>,
}

impl Spawner {
    fn run(mut self) {
        priority::lower_this_thread();
        let mut last = std::time::Instant::now();
        let mut owed = 0.0;
        while !self.shared.stop.load(Ordering::Relaxed) {
            thread::sleep(RAMP_STEP);
            let now = std::time::Instant::now();
            let asked = self.shared.knobs.get(TASKS) as usize;
            let growing = self.tasks.len() < asked;
            if growing {
                owed += self.shared.knobs.get(RAMP) as f64 * now.duration_since(last).as_secs_f64();
                let add = (owed as usize).min(asked - self.tasks.len());
                owed -= add as f64;
                for _ in 0..add {
                    self.tasks.push(spawn_one(&self.handle, &self.shared));
                }
            } else {
                owed = 0.0;
                for task in self.tasks.drain(asked..) {
                    task.abort();
                }
            }
            last = now;
            // Resident memory is read while the tasks grow, and once after
            // (outside the lock: the sampler reads the figure every tick).
            if growing || self.shared.memory().growing_from.is_some() {
                let resident = process_threads_and_rss().1;
                let tasks = self.tasks.len() as u64;
                self.shared.memory().note(tasks, resident, growing);
            }
        }
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}

fn spawn_one(handle: &Handle, shared: &Arc<Shared>) -> AbortHandle {
    let shared = shared.clone();
    handle
        .spawn(async move {
            let _alive = Alive::enter(&shared);
            connection(&shared).await;
        })
        .abort_handle()
}

/// One connection-like task: asleep until its next deadline, then a little
/// work, for ever (until aborted).
async fn connection(shared: &Shared) {
    let wait = |s: &Shared| Duration::from_micros(s.knobs.get(WAIT));
    // A random phase: spread tasks wake evenly over the wait.
    let mut due = Instant::now() + wait(shared).mul_f64(fastrand::f64());
    loop {
        if shared.knobs.choice::<Wake>(WAKE) == Wake::Together {
            due = next_together(shared.epoch, wait(shared), Instant::now());
        }
        tokio::time::sleep_until(due).await;
        let late = Instant::now().saturating_duration_since(due).as_nanos() as u64;
        let shard = shared.shard();
        shard.wakes.fetch_add(1, Ordering::Relaxed);
        shard.late_ns.fetch_add(late, Ordering::Relaxed);
        shard.late_max_ns.fetch_max(late, Ordering::Relaxed);
        work::burn_cpu(Duration::from_micros(shared.knobs.get(WORK)));
        // A task woken later than a wait (an overloaded runtime) starts
        // afresh from now rather than waking back to back to catch up.
        due = (due + wait(shared)).max(Instant::now());
    }
}

/// The next instant after `now` that is a whole number of waits past
/// `epoch`: the same for every task.
fn next_together(epoch: Instant, wait: Duration, now: Instant) -> Instant {
    let wait_ns = wait.as_nanos().max(1);
    let periods = now.saturating_duration_since(epoch).as_nanos() / wait_ns + 1;
    epoch + Duration::from_nanos((periods * wait_ns) as u64)
}

/// Counts a task alive from its first poll until it is dropped (aborted).
struct Alive<'a>(&'a AtomicU64);

impl<'a> Alive<'a> {
    fn enter(shared: &'a Shared) -> Self {
        shared.alive.fetch_add(1, Ordering::Relaxed);
        Self(&shared.alive)
    }
}

impl Drop for Alive<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::knob::defaults;
    use crate::workload::test_support::{eventually, runtime};

    #[test]
    fn the_tasks_climb_at_the_ramp_and_fall_back_at_once() {
        let rt = runtime();
        let mut values = defaults(&MANY_KNOBS);
        (values[TASKS], values[RAMP]) = (20_000, 20_000);
        let mut w = ManyTasks::start(rt.handle(), &values).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let early = w.counters().alive;
        assert!(early > 1_000 && early < 15_000, "ramping, {early} at 0.3 s");
        let full = eventually(|| w.counters().alive, |&n| n == 20_000);
        assert_eq!(full, 20_000);
        let memory = w.counters().memory;
        assert!(memory.over >= 15_000, "{memory:?}");
        let per_task = memory.per_task.unwrap();
        assert!((64..16_384).contains(&per_task), "{per_task} bytes a task");
        w.set(TASKS, 5_000);
        assert_eq!(eventually(|| w.counters().alive, |&n| n == 5_000), 5_000);
        // Every task wakes once a second.
        w.set(WAIT, 1_000_000);
        std::thread::sleep(Duration::from_millis(10_500));
        let before = w.counters().wakes;
        std::thread::sleep(Duration::from_millis(1_000));
        let woke = w.counters().wakes - before;
        assert!((3_500..6_500).contains(&woke), "{woke} wake-ups in 1 s");
    }

    #[test]
    fn together_every_task_is_due_at_the_same_instant() {
        let epoch = Instant::now();
        let wait = Duration::from_millis(100);
        let a = next_together(epoch, wait, epoch + Duration::from_millis(130));
        let b = next_together(epoch, wait, epoch + Duration::from_millis(199));
        assert_eq!(a, b);
        assert_eq!(a, epoch + Duration::from_millis(200));
    }

    #[test]
    fn memory_is_measured_over_the_widest_growth() {
        let mut m = Memory::default();
        m.note(0, 1_000_000, true);
        m.note(10_000, 5_000_000, true);
        m.note(10_000, 5_000_000, false);
        assert_eq!((m.per_task, m.over), (Some(400), 10_000));
        // Fewer, then more again: the allocator reuses what it freed.
        m.note(2_000, 5_000_000, true);
        m.note(8_000, 5_000_000, true);
        assert_eq!((m.per_task, m.over), (Some(400), 10_000), "narrower growth");
    }
}
