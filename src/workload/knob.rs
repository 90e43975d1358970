//! The queue workload's knobs: their names, ranges, units and the steps the
//! keys take. One table serves the CLI, the workload and the controls pane.
//! The last knob, the stall threshold, steers the long-poll tracker rather
//! than the workload; it lives here so the same keys reach it.

use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Knob {
    Producers,
    Consumers,
    Capacity,
    ProduceInterval,
    IoWait,
    CpuWork,
    /// Share of consumers whose I/O wait blocks the worker thread.
    Blocking,
    /// Run the blocking consumers' wait and CPU work on `spawn_blocking`.
    Offload,
    /// A poll at least this long counts as a stall.
    StallThreshold,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Count,
    /// Stored as microseconds, shown as a duration.
    Micros,
    Percent,
    /// 0 or 1.
    Switch,
}

/// How the arrow keys move a knob: counts step linearly; capacities and
/// durations span orders of magnitude, so they walk a 1-2-5 ladder.
#[derive(Clone, Copy, Debug)]
enum Step {
    Linear { small: u64, big: u64 },
    Ladder { first: u64 },
}

impl Knob {
    pub const ALL: [Knob; 9] = [
        Knob::Producers,
        Knob::Consumers,
        Knob::Capacity,
        Knob::ProduceInterval,
        Knob::IoWait,
        Knob::CpuWork,
        Knob::Blocking,
        Knob::Offload,
        Knob::StallThreshold,
    ];

    /// Short: the controls pane is a third of an 80-column terminal.
    pub fn label(self) -> &'static str {
        match self {
            Knob::Producers => "producers",
            Knob::Consumers => "consumers",
            Knob::Capacity => "capacity",
            Knob::ProduceInterval => "produce gap",
            Knob::IoWait => "I/O wait",
            Knob::CpuWork => "CPU work",
            Knob::Blocking => "blocking",
            Knob::Offload => "offload",
            Knob::StallThreshold => "stall at",
        }
    }

    pub fn range(self) -> RangeInclusive<u64> {
        match self {
            Knob::Producers | Knob::Consumers => 0..=1024,
            Knob::Capacity => 1..=1_000_000,
            Knob::ProduceInterval | Knob::IoWait => 0..=10_000_000,
            Knob::CpuWork => 0..=1_000_000,
            Knob::Blocking => 0..=100,
            Knob::Offload => 0..=1,
            Knob::StallThreshold => 100..=10_000_000,
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            Knob::Producers | Knob::Consumers | Knob::Capacity => Unit::Count,
            Knob::Blocking => Unit::Percent,
            Knob::Offload => Unit::Switch,
            Knob::ProduceInterval | Knob::IoWait | Knob::CpuWork | Knob::StallThreshold => {
                Unit::Micros
            }
        }
    }

    fn step(self) -> Step {
        match self {
            Knob::Producers | Knob::Consumers => Step::Linear { small: 1, big: 10 },
            Knob::Capacity => Step::Ladder { first: 1 },
            // tokio's timer ticks in milliseconds; steps below 100 µs would not show.
            Knob::ProduceInterval | Knob::IoWait | Knob::StallThreshold => {
                Step::Ladder { first: 100 }
            }
            Knob::CpuWork => Step::Ladder { first: 10 },
            // Quarters: with a handful of consumers, finer shares look alike.
            Knob::Blocking => Step::Linear {
                small: 25,
                big: 100,
            },
            Knob::Offload => Step::Linear { small: 1, big: 1 },
        }
    }

    /// The value one key press above `value` (a big step with Shift).
    pub fn step_up(self, value: u64, big: bool) -> u64 {
        let next = match self.step() {
            Step::Linear { small, big: large } => {
                value.saturating_add(if big { large } else { small })
            }
            Step::Ladder { first } => {
                let steps = if big { 3 } else { 1 };
                (0..steps).fold(value, |v, _| ladder_above(v, first))
            }
        };
        self.clamp(next)
    }

    /// The value one key press below `value` (a big step with Shift).
    pub fn step_down(self, value: u64, big: bool) -> u64 {
        let next = match self.step() {
            Step::Linear { small, big: large } => {
                value.saturating_sub(if big { large } else { small })
            }
            Step::Ladder { first } => {
                let steps = if big { 3 } else { 1 };
                (0..steps).fold(value, |v, _| ladder_below(v, first))
            }
        };
        self.clamp(next)
    }

    pub fn clamp(self, value: u64) -> u64 {
        let range = self.range();
        value.clamp(*range.start(), *range.end())
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The smallest 1-2-5 value strictly above `value`, starting at `first`.
fn ladder_above(value: u64, first: u64) -> u64 {
    if value < first {
        return first;
    }
    let mut rung = first;
    loop {
        for factor in [1, 2, 5] {
            let candidate = rung * factor;
            if candidate > value {
                return candidate;
            }
        }
        rung = rung.saturating_mul(10);
        if rung == u64::MAX {
            return u64::MAX;
        }
    }
}

/// The largest 1-2-5 value strictly below `value`, or 0 below `first`.
fn ladder_below(value: u64, first: u64) -> u64 {
    let mut best = 0;
    let mut rung = first;
    while rung < value {
        for factor in [1, 2, 5] {
            let candidate = rung * factor;
            if candidate < value {
                best = candidate;
            }
        }
        rung = rung.saturating_mul(10);
    }
    best
}

/// One value per knob: the queue workload's complete configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct QueueSettings {
    pub producers: u64,
    pub consumers: u64,
    pub capacity: u64,
    pub produce_interval_us: u64,
    pub io_wait_us: u64,
    pub cpu_work_us: u64,
    pub blocking_pct: u64,
    pub offload: u64,
    pub stall_threshold_us: u64,
}

/// The default stall threshold: a poll of 10 ms holds a worker long enough
/// for everything queued behind it to notice.
pub const STALL_THRESHOLD_US: u64 = 10_000;

impl Default for QueueSettings {
    /// Poisson arrivals at about 4 × 90 items/s against four consumers that
    /// can take only a little more (tokio's millisecond timer adds about half a
    /// millisecond to each sleep): an M/G/c queue near 97% load, whose depth
    /// wanders and now and then meets the capacity, instead of sitting empty
    /// or full. Measured over 20 s: mean depth 8-12, peaks 30-50 of 64.
    fn default() -> Self {
        Self {
            producers: 4,
            consumers: 4,
            capacity: 64,
            produce_interval_us: 10_000,
            io_wait_us: 9_500,
            cpu_work_us: 200,
            blocking_pct: 0,
            offload: 0,
            stall_threshold_us: STALL_THRESHOLD_US,
        }
    }
}

impl QueueSettings {
    /// Full speed: no waits, no work; what the overhead benchmark runs.
    pub fn full_speed() -> Self {
        Self {
            producers: 2,
            consumers: 2,
            capacity: 1024,
            produce_interval_us: 0,
            io_wait_us: 0,
            cpu_work_us: 0,
            ..Self::default()
        }
    }

    pub fn get(&self, knob: Knob) -> u64 {
        match knob {
            Knob::Producers => self.producers,
            Knob::Consumers => self.consumers,
            Knob::Capacity => self.capacity,
            Knob::ProduceInterval => self.produce_interval_us,
            Knob::IoWait => self.io_wait_us,
            Knob::CpuWork => self.cpu_work_us,
            Knob::Blocking => self.blocking_pct,
            Knob::Offload => self.offload,
            Knob::StallThreshold => self.stall_threshold_us,
        }
    }

    pub fn set(&mut self, knob: Knob, value: u64) {
        let value = knob.clamp(value);
        match knob {
            Knob::Producers => self.producers = value,
            Knob::Consumers => self.consumers = value,
            Knob::Capacity => self.capacity = value,
            Knob::ProduceInterval => self.produce_interval_us = value,
            Knob::IoWait => self.io_wait_us = value,
            Knob::CpuWork => self.cpu_work_us = value,
            Knob::Blocking => self.blocking_pct = value,
            Knob::Offload => self.offload = value,
            Knob::StallThreshold => self.stall_threshold_us = value,
        }
    }

    pub fn blocking_consumers(&self) -> u64 {
        blocking_consumers(self.consumers, self.blocking_pct)
    }
}

/// How many of the first consumers block: a share of the consumer count,
/// rounded up so any share above zero blocks at least one.
pub fn blocking_consumers(consumers: u64, blocking_pct: u64) -> u64 {
    (consumers * blocking_pct).div_ceil(100)
}

/// The settings as the running tasks read them: one relaxed atomic load per
/// item, so a key press reaches every task on its next item.
pub struct LiveSettings {
    values: [AtomicU64; Knob::ALL.len()],
}

impl LiveSettings {
    pub fn new(settings: &QueueSettings) -> Self {
        Self {
            values: Knob::ALL.map(|knob| AtomicU64::new(settings.get(knob))),
        }
    }

    pub fn get(&self, knob: Knob) -> u64 {
        self.values[knob.index()].load(Ordering::Relaxed)
    }

    pub fn set(&self, knob: Knob, value: u64) {
        self.values[knob.index()].store(knob.clamp(value), Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> QueueSettings {
        let mut settings = QueueSettings::default();
        for knob in Knob::ALL {
            settings.set(knob, self.get(knob));
        }
        settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_step_by_one_and_ten_within_range() {
        assert_eq!(Knob::Producers.step_up(4, false), 5);
        assert_eq!(Knob::Producers.step_up(4, true), 14);
        assert_eq!(Knob::Producers.step_down(4, true), 0);
        assert_eq!(Knob::Producers.step_up(1024, false), 1024);
    }

    #[test]
    fn durations_walk_the_one_two_five_ladder() {
        assert_eq!(Knob::IoWait.step_up(0, false), 100);
        assert_eq!(Knob::IoWait.step_up(100, false), 200);
        assert_eq!(Knob::IoWait.step_up(200, false), 500);
        assert_eq!(Knob::IoWait.step_up(500, false), 1_000);
        assert_eq!(Knob::IoWait.step_up(8_000, false), 10_000);
        assert_eq!(Knob::IoWait.step_up(1_000, true), 10_000);
        assert_eq!(Knob::IoWait.step_down(10_000, false), 5_000);
        assert_eq!(Knob::IoWait.step_down(8_000, false), 5_000);
        assert_eq!(Knob::IoWait.step_down(100, false), 0);
        assert_eq!(Knob::IoWait.step_down(0, false), 0);
    }

    #[test]
    fn capacity_never_steps_below_one_or_above_a_million() {
        assert_eq!(Knob::Capacity.step_down(1, false), 1);
        assert_eq!(Knob::Capacity.step_down(2, false), 1);
        assert_eq!(Knob::Capacity.step_up(1_000_000, true), 1_000_000);
        assert_eq!(Knob::Capacity.step_up(500_000, false), 1_000_000);
    }

    #[test]
    fn blocking_share_rounds_up_to_whole_consumers() {
        let mut s = QueueSettings::default();
        assert_eq!(s.blocking_consumers(), 0);
        s.blocking_pct = 10;
        assert_eq!(s.blocking_consumers(), 1, "any share blocks at least one");
        s.blocking_pct = 50;
        assert_eq!(s.blocking_consumers(), 2);
        s.blocking_pct = 100;
        assert_eq!(s.blocking_consumers(), 4);
        assert_eq!(Knob::Blocking.step_up(0, false), 25);
        assert_eq!(Knob::Blocking.step_up(75, true), 100);
        assert_eq!(Knob::Offload.step_up(1, false), 1);
        assert_eq!(Knob::StallThreshold.step_down(100, false), 100);
    }

    #[test]
    fn live_settings_round_trip_and_clamp() {
        let live = LiveSettings::new(&QueueSettings::default());
        live.set(Knob::Consumers, 5000);
        assert_eq!(live.get(Knob::Consumers), 1024);
        let expected = QueueSettings {
            consumers: 1024,
            ..QueueSettings::default()
        };
        assert_eq!(live.snapshot(), expected);
    }
}
