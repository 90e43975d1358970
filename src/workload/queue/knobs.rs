//! The queue workload's knobs, and a typed view of their values for code
//! and tests that set a few of them by name.

use serde::{Deserialize, Serialize};

use crate::workload::knob::{by_name, from_name, Choice, KnobSpec, Step, Unit};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QueueKnob {
    Producers,
    Consumers,
    Capacity,
    ProduceInterval,
    IoWait,
    CpuWork,
    /// Share of consumers whose item work blocks the thread it runs on.
    Blocking,
    /// Where the blocking consumers' work runs.
    Offload,
}

/// Where a blocking consumer's work runs: the names scenario files use.
/// Where a blocking consumer's item runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Offload {
    /// In the task, on its worker.
    #[default]
    No,
    SpawnBlocking,
    /// A thread pool of the workload's own.
    Pool,
    /// In the task, in slices with `yield_now` between them.
    Yield,
}

impl Choice for Offload {
    const ALL: &'static [Self] = &[Self::No, Self::SpawnBlocking, Self::Pool, Self::Yield];
    const NAMES: &'static [&'static str] = &["no", "spawn_blocking", "pool", "yield"];
}

// tokio's timer ticks in milliseconds; duration steps below 100 µs would not show.
pub static QUEUE_KNOBS: [KnobSpec; 8] = [
    KnobSpec {
        id: "producers",
        label: "producers",
        range: 0..=1024,
        unit: Unit::Count,
        step: Step::Linear { by: 1 },
        default: 4,
    },
    KnobSpec {
        id: "consumers",
        label: "consumers",
        range: 0..=1024,
        unit: Unit::Count,
        step: Step::Linear { by: 1 },
        default: 4,
    },
    KnobSpec {
        id: "capacity",
        label: "capacity",
        range: 1..=1_000_000,
        unit: Unit::Count,
        step: Step::Ladder { first: 1 },
        default: 64,
    },
    KnobSpec {
        id: "produce_interval",
        label: "produce gap",
        range: 0..=10_000_000,
        unit: Unit::Micros,
        step: Step::Ladder { first: 100 },
        default: 10_000,
    },
    KnobSpec {
        id: "io_wait",
        label: "I/O wait",
        range: 0..=10_000_000,
        unit: Unit::Micros,
        step: Step::Ladder { first: 100 },
        default: 8_000,
    },
    KnobSpec {
        id: "cpu_work",
        label: "CPU work",
        range: 0..=1_000_000,
        unit: Unit::Micros,
        step: Step::Ladder { first: 10 },
        default: 200,
    },
    KnobSpec {
        id: "blocking",
        label: "blocking",
        range: 0..=100,
        unit: Unit::Percent,
        // Quarters: with a handful of consumers, finer shares look alike.
        step: Step::Linear { by: 25 },
        default: 0,
    },
    KnobSpec {
        id: "offload",
        label: "offload",
        range: 0..=3,
        unit: Unit::Choice(Offload::NAMES),
        step: Step::Linear { by: 1 },
        default: 0,
    },
];

impl QueueKnob {
    pub const ALL: [QueueKnob; 8] = [
        QueueKnob::Producers,
        QueueKnob::Consumers,
        QueueKnob::Capacity,
        QueueKnob::ProduceInterval,
        QueueKnob::IoWait,
        QueueKnob::CpuWork,
        QueueKnob::Blocking,
        QueueKnob::Offload,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn spec(self) -> &'static KnobSpec {
        &QUEUE_KNOBS[self.index()]
    }
}

/// Every queue knob's value by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueSettings {
    pub producers: u64,
    pub consumers: u64,
    pub capacity: u64,
    pub produce_interval_us: u64,
    pub io_wait_us: u64,
    pub cpu_work_us: u64,
    pub blocking_pct: u64,
    #[serde(serialize_with = "by_name", deserialize_with = "from_name")]
    pub offload: Offload,
}

impl Default for QueueSettings {
    /// Poisson arrivals at 4 × 100 items/s against four consumers that can
    /// take a little more (each 8 ms ± 50% wait comes out about a
    /// millisecond longer, since tokio's timer wakes on its next 1 ms tick):
    /// an M/G/c queue near 95% load, whose depth wanders and now and then
    /// climbs, instead of sitting empty or full. Measured over 20 s (release
    /// build, 2 cores): 400/s in and out, mean depth 6-10, peaks 24-36 of 64.
    fn default() -> Self {
        Self::from_values(&crate::workload::knob::defaults(&QUEUE_KNOBS))
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

    pub fn values(&self) -> Vec<u64> {
        QueueKnob::ALL.iter().map(|&k| self.get(k)).collect()
    }

    pub fn from_values(values: &[u64]) -> Self {
        let at = |k: QueueKnob| values.get(k.index()).copied().unwrap_or(k.spec().default);
        Self {
            producers: at(QueueKnob::Producers),
            consumers: at(QueueKnob::Consumers),
            capacity: at(QueueKnob::Capacity),
            produce_interval_us: at(QueueKnob::ProduceInterval),
            io_wait_us: at(QueueKnob::IoWait),
            cpu_work_us: at(QueueKnob::CpuWork),
            blocking_pct: at(QueueKnob::Blocking),
            offload: Offload::from_knob(at(QueueKnob::Offload)),
        }
    }

    pub fn get(&self, knob: QueueKnob) -> u64 {
        match knob {
            QueueKnob::Producers => self.producers,
            QueueKnob::Consumers => self.consumers,
            QueueKnob::Capacity => self.capacity,
            QueueKnob::ProduceInterval => self.produce_interval_us,
            QueueKnob::IoWait => self.io_wait_us,
            QueueKnob::CpuWork => self.cpu_work_us,
            QueueKnob::Blocking => self.blocking_pct,
            QueueKnob::Offload => self.offload.knob(),
        }
    }
}

/// How many of the first consumers block: a share of the consumer count,
/// rounded up so any share above zero blocks at least one.
pub fn blocking_consumers(consumers: u64, blocking_pct: u64) -> u64 {
    (consumers * blocking_pct).div_ceil(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_and_the_enum_agree() {
        for knob in QueueKnob::ALL {
            assert_eq!(QUEUE_KNOBS[knob.index()].id, knob.spec().id);
        }
        let d = QueueSettings::default();
        assert_eq!((d.producers, d.consumers, d.capacity), (4, 4, 64));
        assert_eq!(QueueSettings::from_values(&d.values()), d);
    }

    #[test]
    fn blocking_share_rounds_up_to_whole_consumers() {
        let mut s = QueueSettings::default();
        assert_eq!(blocking_consumers(s.consumers, s.blocking_pct), 0);
        s.blocking_pct = 10;
        assert_eq!(
            blocking_consumers(s.consumers, s.blocking_pct),
            1,
            "any share blocks at least one"
        );
        s.blocking_pct = 50;
        assert_eq!(blocking_consumers(s.consumers, s.blocking_pct), 2);
        s.blocking_pct = 100;
        assert_eq!(blocking_consumers(s.consumers, s.blocking_pct), 4);
        let blocking = QueueKnob::Blocking.spec();
        assert_eq!(blocking.step_up(0, false), 25);
        assert_eq!(blocking.step_up(75, true), 100);
        assert_eq!(QueueKnob::Offload.spec().step_up(3, false), 3);
    }
}
