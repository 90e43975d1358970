//! Knobs: a workload's live parameters, each with a name, a range, a unit
//! and the steps the arrow keys take. One table per workload serves the CLI,
//! scenario files, the workload and the controls pane.

use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug)]
pub struct KnobSpec {
    /// The key in scenario files.
    pub id: &'static str,
    /// Short: the controls pane is a third of an 80-column terminal.
    pub label: &'static str,
    pub range: RangeInclusive<u64>,
    pub unit: Unit,
    pub step: Step,
    pub default: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Count,
    /// Stored as microseconds, shown as a duration.
    Micros,
    Percent,
    /// One of these names, stored as its index.
    Choice(&'static [&'static str]),
}

/// How the arrow keys move a knob: counts step linearly; capacities and
/// durations span orders of magnitude, so they walk a 1-2-5 ladder.
#[derive(Clone, Copy, Debug)]
pub enum Step {
    Linear { small: u64, big: u64 },
    Ladder { first: u64 },
}

impl KnobSpec {
    /// A duration from 0 to 10 s whose keys walk the 1-2-5 ladder from
    /// 100 µs (tokio's timer ticks in milliseconds; finer would not show).
    pub const fn duration(id: &'static str, label: &'static str, default: u64) -> Self {
        Self {
            id,
            label,
            range: 0..=10_000_000,
            unit: Unit::Micros,
            step: Step::Ladder { first: 100 },
            default,
        }
    }

    /// The value one key press above `value` (a big step with Shift).
    pub fn step_up(&self, value: u64, big: bool) -> u64 {
        let next = match self.step {
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
    pub fn step_down(&self, value: u64, big: bool) -> u64 {
        let next = match self.step {
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

    pub fn clamp(&self, value: u64) -> u64 {
        value.clamp(*self.range.start(), *self.range.end())
    }

    /// What the knob accepts, for error messages.
    pub fn accepts(&self) -> String {
        let (lo, hi) = (*self.range.start(), *self.range.end());
        match self.unit {
            Unit::Count => format!("a whole number from {lo} to {hi}"),
            Unit::Percent => format!("a percentage from {lo} to {hi}"),
            Unit::Micros => format!(
                "a duration from {} to {}, such as \"20ms\"",
                humantime::format_duration(std::time::Duration::from_micros(lo)),
                humantime::format_duration(std::time::Duration::from_micros(hi))
            ),
            Unit::Choice(names) => format!("one of {}", quoted(names)),
        }
    }
}

/// "a", "b" or "c"
pub fn quoted(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
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

/// A workload's knob values as its running tasks read them: one relaxed
/// atomic load per use, so a key press reaches every task on its next item.
pub struct LiveKnobs {
    specs: &'static [KnobSpec],
    values: Box<[AtomicU64]>,
}

impl LiveKnobs {
    pub fn new(specs: &'static [KnobSpec], values: &[u64]) -> Self {
        let values = specs
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                AtomicU64::new(spec.clamp(values.get(i).copied().unwrap_or(spec.default)))
            })
            .collect();
        Self { specs, values }
    }

    pub fn get(&self, index: usize) -> u64 {
        self.values[index].load(Ordering::Relaxed)
    }

    pub fn set(&self, index: usize, value: u64) {
        self.values[index].store(self.specs[index].clamp(value), Ordering::Relaxed);
    }

    pub fn values(&self) -> Vec<u64> {
        (0..self.values.len()).map(|i| self.get(i)).collect()
    }
}

/// The defaults of a knob table.
pub fn defaults(specs: &[KnobSpec]) -> Vec<u64> {
    specs.iter().map(|s| s.default).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const COUNT: KnobSpec = KnobSpec {
        id: "n",
        label: "n",
        range: 0..=1024,
        unit: Unit::Count,
        step: Step::Linear { small: 1, big: 10 },
        default: 4,
    };
    const WAIT: KnobSpec = KnobSpec {
        id: "wait",
        label: "wait",
        range: 0..=10_000_000,
        unit: Unit::Micros,
        step: Step::Ladder { first: 100 },
        default: 0,
    };
    const SIZE: KnobSpec = KnobSpec {
        id: "size",
        label: "size",
        range: 1..=1_000_000,
        unit: Unit::Count,
        step: Step::Ladder { first: 1 },
        default: 64,
    };

    #[test]
    fn counts_step_by_one_and_ten_within_range() {
        assert_eq!(COUNT.step_up(4, false), 5);
        assert_eq!(COUNT.step_up(4, true), 14);
        assert_eq!(COUNT.step_down(4, true), 0);
        assert_eq!(COUNT.step_up(1024, false), 1024);
    }

    #[test]
    fn durations_walk_the_one_two_five_ladder() {
        assert_eq!(WAIT.step_up(0, false), 100);
        assert_eq!(WAIT.step_up(100, false), 200);
        assert_eq!(WAIT.step_up(200, false), 500);
        assert_eq!(WAIT.step_up(500, false), 1_000);
        assert_eq!(WAIT.step_up(8_000, false), 10_000);
        assert_eq!(WAIT.step_up(1_000, true), 10_000);
        assert_eq!(WAIT.step_down(10_000, false), 5_000);
        assert_eq!(WAIT.step_down(8_000, false), 5_000);
        assert_eq!(WAIT.step_down(100, false), 0);
        assert_eq!(WAIT.step_down(0, false), 0);
    }

    #[test]
    fn ladders_stay_within_range() {
        assert_eq!(SIZE.step_down(1, false), 1);
        assert_eq!(SIZE.step_down(2, false), 1);
        assert_eq!(SIZE.step_up(1_000_000, true), 1_000_000);
        assert_eq!(SIZE.step_up(500_000, false), 1_000_000);
    }

    #[test]
    fn live_knobs_round_trip_and_clamp() {
        static SPECS: [KnobSpec; 2] = [COUNT, SIZE];
        let live = LiveKnobs::new(&SPECS, &[4]);
        assert_eq!(live.values(), [4, 64], "missing values take the default");
        live.set(0, 5000);
        assert_eq!(live.get(0), 1024);
        assert_eq!(defaults(&SPECS), [4, 64]);
    }

    #[test]
    fn accepts_says_what_is_allowed() {
        assert_eq!(COUNT.accepts(), "a whole number from 0 to 1024");
        assert_eq!(
            WAIT.accepts(),
            "a duration from 0s to 10s, such as \"20ms\""
        );
        let choice = KnobSpec {
            unit: Unit::Choice(&["no", "spawn_blocking", "pool"]),
            ..COUNT
        };
        assert_eq!(
            choice.accepts(),
            "one of \"no\", \"spawn_blocking\" or \"pool\""
        );
    }
}
