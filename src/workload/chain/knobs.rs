//! The chain workload's knobs: the pipeline's shape, its fan-out stage,
//! and a wait and a CPU cost for each of up to eight stages.

use crate::workload::knob::{Choice, KnobSpec, Step, Unit};

/// The knobs before the per-stage ones.
pub const STAGES: usize = 0;
pub const SOURCE_GAP: usize = 1;
pub const CAPACITY: usize = 2;
pub const WIDTH: usize = 3;
pub const FANOUT: usize = 4;
pub const FANOUT_WAIT: usize = 5;
pub const FANOUT_MODE: usize = 6;
/// Stage `n` (from 1) has its wait at `FIRST_STAGE_KNOB + 2 (n - 1)` and its
/// CPU work right after.
pub const FIRST_STAGE_KNOB: usize = 7;
pub const MAX_STAGES: usize = 8;
/// The stage that fans out: the second, so there is a stage before and after.
pub const FANOUT_STAGE: usize = 2;

/// How stage 2 makes its sub-requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FanoutMode {
    #[default]
    Concurrent,
    Sequential,
}

impl Choice for FanoutMode {
    const ALL: &'static [Self] = &[Self::Concurrent, Self::Sequential];
    const NAMES: &'static [&'static str] = &["concurrent", "sequential"];
}

const fn cpu(id: &'static str, label: &'static str) -> KnobSpec {
    KnobSpec {
        id,
        label,
        range: 0..=1_000_000,
        unit: Unit::Micros,
        step: Step::Ladder { first: 10 },
        default: 100,
    }
}

/// Stage 3 is the slow one at the defaults (12 ms a step, four tasks: room
/// for about 300 items/s against 200 arriving), so its queue is the one
/// that breathes; sequential fan-out makes stage 2 slower still.
pub static CHAIN_KNOBS: [KnobSpec; FIRST_STAGE_KNOB + 2 * MAX_STAGES] = [
    KnobSpec {
        id: "stages",
        label: "stages",
        range: 2..=8,
        unit: Unit::Count,
        step: Step::Linear { by: 1 },
        default: 4,
    },
    KnobSpec {
        id: "source_gap",
        label: "source gap",
        range: 0..=1_000_000,
        unit: Unit::Micros,
        step: Step::Ladder { first: 100 },
        default: 5_000,
    },
    KnobSpec {
        id: "capacity",
        label: "queue cap",
        range: 1..=10_000,
        unit: Unit::Count,
        step: Step::Ladder { first: 1 },
        default: 16,
    },
    KnobSpec {
        id: "width",
        label: "tasks/stage",
        range: 1..=64,
        unit: Unit::Count,
        step: Step::Linear { by: 1 },
        default: 4,
    },
    KnobSpec {
        id: "fanout",
        label: "s2 fan-out",
        range: 1..=32,
        unit: Unit::Count,
        step: Step::Linear { by: 1 },
        default: 4,
    },
    KnobSpec::duration("fanout_wait", "sub-request", 5_000),
    KnobSpec {
        id: "fanout_mode",
        label: "fan-out as",
        range: 0..=1,
        unit: Unit::Choice(FanoutMode::NAMES),
        step: Step::Linear { by: 1 },
        default: 0,
    },
    KnobSpec::duration("s1_wait", "s1 wait", 1_000),
    cpu("s1_cpu", "s1 CPU"),
    KnobSpec::duration("s2_wait", "s2 wait", 1_000),
    cpu("s2_cpu", "s2 CPU"),
    KnobSpec::duration("s3_wait", "s3 wait", 12_000),
    cpu("s3_cpu", "s3 CPU"),
    KnobSpec::duration("s4_wait", "s4 wait", 1_000),
    cpu("s4_cpu", "s4 CPU"),
    KnobSpec::duration("s5_wait", "s5 wait", 1_000),
    cpu("s5_cpu", "s5 CPU"),
    KnobSpec::duration("s6_wait", "s6 wait", 1_000),
    cpu("s6_cpu", "s6 CPU"),
    KnobSpec::duration("s7_wait", "s7 wait", 1_000),
    cpu("s7_cpu", "s7 CPU"),
    KnobSpec::duration("s8_wait", "s8 wait", 1_000),
    cpu("s8_cpu", "s8 CPU"),
];

/// The stage (from 1) a per-stage knob belongs to, if it is one.
pub fn stage_of(index: usize) -> Option<usize> {
    index
        .checked_sub(FIRST_STAGE_KNOB)
        .map(|i| i / 2 + 1)
        .filter(|&stage| stage <= MAX_STAGES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_stage_knobs_line_up_with_their_stage() {
        for stage in 1..=MAX_STAGES {
            let wait = &CHAIN_KNOBS[FIRST_STAGE_KNOB + 2 * (stage - 1)];
            let cpu = &CHAIN_KNOBS[FIRST_STAGE_KNOB + 2 * (stage - 1) + 1];
            assert_eq!(wait.id, format!("s{stage}_wait"));
            assert_eq!(cpu.id, format!("s{stage}_cpu"));
            assert_eq!(
                stage_of(FIRST_STAGE_KNOB + 2 * (stage - 1) + 1),
                Some(stage)
            );
        }
        assert_eq!(stage_of(FANOUT_MODE), None);
        assert_eq!(CHAIN_KNOBS[FANOUT].id, "fanout");
    }
}
