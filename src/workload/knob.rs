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

/// How the arrow keys move a knob. One rule for every knob: a big step
/// (Shift) is worth ten small ones. Counts, percentages and choices move
/// linearly, so a big step is ten times `by` (clamped: a list of names goes
/// to its end); knobs that span orders of magnitude walk a 1-2-5 ladder one
/// rung at a time, and a big step multiplies or divides the value by ten.
#[derive(Clone, Copy, Debug)]
pub enum Step {
    Linear { by: u64 },
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
            Step::Linear { by } => {
                value.saturating_add(if big { by.saturating_mul(10) } else { by })
            }
            Step::Ladder { first } if big => ten_times(value, first),
            Step::Ladder { first } => ladder_above(value, first),
        };
        self.clamp(next)
    }

    /// The value one key press below `value` (a big step with Shift).
    pub fn step_down(&self, value: u64, big: bool) -> u64 {
        let next = match self.step {
            Step::Linear { by } => {
                value.saturating_sub(if big { by.saturating_mul(10) } else { by })
            }
            Step::Ladder { first } if big => a_tenth(value, first),
            Step::Ladder { first } => ladder_below(value, first),
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

/// A big step up a ladder: ten times the value, on the ladder or off it
/// (16 → 160, 9.5 ms → 95 ms), so a big step down undoes it; at least the
/// first rung, since ten times 0 is still 0.
fn ten_times(value: u64, first: u64) -> u64 {
    value.saturating_mul(10).max(first)
}

/// A big step down a ladder: a tenth of the value (rounded down); below the
/// first rung, 0, as a small step there gives.
fn a_tenth(value: u64, first: u64) -> u64 {
    let tenth = value / 10;
    if tenth < first {
        0
    } else {
        tenth
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

    /// A choice knob's value as its enum.
    pub fn choice<C: Choice>(&self, index: usize) -> C {
        C::from_knob(self.get(index))
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

/// A knob whose values are named: an enum whose variants, in order, are
/// the knob's values 0, 1, … and `NAMES` what scenario files, the controls
/// and the JSON call them. Code matches on the enum, never on a number or a
/// name.
pub trait Choice: Copy + PartialEq + 'static {
    const ALL: &'static [Self];
    const NAMES: &'static [&'static str];

    /// The variant numbered `value`; the first for a number past the end
    /// (the knob's range keeps it from happening).
    fn from_knob(value: u64) -> Self {
        Self::ALL
            .get(value as usize)
            .copied()
            .unwrap_or(Self::ALL[0])
    }

    fn knob(self) -> u64 {
        Self::ALL.iter().position(|c| *c == self).unwrap_or(0) as u64
    }

    fn name(self) -> &'static str {
        Self::NAMES[self.knob() as usize]
    }
}

/// Serializes a choice as its name: `#[serde(serialize_with = "by_name")]`.
pub fn by_name<C: Choice, S: serde::Serializer>(choice: &C, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(choice.name())
}

/// Reads a choice back from its name (`deserialize_with = "from_name"`).
pub fn from_name<'de, C: Choice, D: serde::Deserializer<'de>>(d: D) -> Result<C, D::Error> {
    let name = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
    let at = C::NAMES.iter().position(|n| *n == name).ok_or_else(|| {
        serde::de::Error::custom(format!("{name:?} is none of {}", C::NAMES.join(", ")))
    })?;
    Ok(C::ALL[at])
}

#[cfg(test)]
mod tests {
    use super::*;

    const COUNT: KnobSpec = KnobSpec {
        id: "n",
        label: "n",
        range: 0..=1024,
        unit: Unit::Count,
        step: Step::Linear { by: 1 },
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

    /// Requests' concurrency: a count over four orders of magnitude.
    const CONCURRENCY: KnobSpec = KnobSpec {
        id: "concurrency",
        label: "concurrency",
        range: 1..=10_000,
        unit: Unit::Count,
        step: Step::Ladder { first: 1 },
        default: 16,
    };

    fn walk(spec: &KnobSpec, from: u64, up: bool, big: bool, presses: usize) -> Vec<u64> {
        let mut at = from;
        (0..presses)
            .map(|_| {
                at = if up {
                    spec.step_up(at, big)
                } else {
                    spec.step_down(at, big)
                };
                at
            })
            .collect()
    }

    #[test]
    fn a_big_ladder_step_is_ten_times_the_value_even_off_the_ladder() {
        // 16 is off the 1-2-5 ladder: small steps go to the rungs beside it,
        // big ones multiply or divide it by ten, and stop at the range.
        assert_eq!(walk(&CONCURRENCY, 16, true, false, 3), [20, 50, 100]);
        assert_eq!(walk(&CONCURRENCY, 16, false, false, 3), [10, 5, 2]);
        assert_eq!(
            walk(&CONCURRENCY, 16, true, true, 4),
            [160, 1_600, 10_000, 10_000]
        );
        assert_eq!(walk(&CONCURRENCY, 16, false, true, 2), [1, 1]);
        assert_eq!(
            walk(&CONCURRENCY, 10_000, false, true, 5),
            [1_000, 100, 10, 1, 1]
        );
        assert_eq!(
            CONCURRENCY.step_down(160, true),
            16,
            "a big step undoes one"
        );
    }

    #[test]
    fn a_duration_off_the_ladder_comes_back_with_big_steps() {
        // 9.5 ms: small steps land on rungs; big ones keep the 9.5.
        assert_eq!(walk(&WAIT, 9_500, true, false, 2), [10_000, 20_000]);
        assert_eq!(walk(&WAIT, 9_500, false, false, 2), [5_000, 2_000]);
        assert_eq!(
            walk(&WAIT, 9_500, true, true, 4),
            [95_000, 950_000, 9_500_000, 10_000_000]
        );
        assert_eq!(WAIT.step_down(95_000, true), 9_500);
        // Below the first rung (100 µs) a tenth is 0, as a small step is.
        assert_eq!(walk(&WAIT, 9_500, false, true, 3), [950, 0, 0]);
        // From 0, ten times nothing is still nothing: the first rung.
        assert_eq!(walk(&WAIT, 0, true, true, 2), [100, 1_000]);
    }

    #[test]
    fn ladders_stay_within_range() {
        assert_eq!(SIZE.step_down(1, false), 1);
        assert_eq!(SIZE.step_down(2, false), 1);
        assert_eq!(SIZE.step_up(1_000_000, true), 1_000_000);
        assert_eq!(SIZE.step_up(500_000, false), 1_000_000);
    }

    fn every_knob() -> impl Iterator<Item = &'static KnobSpec> {
        use crate::settings::Group;
        Group::WORKLOADS
            .into_iter()
            .chain([Group::Runtime])
            .flat_map(|group| group.knobs().iter())
    }

    fn repeat(times: usize, from: u64, step: impl Fn(u64) -> u64) -> u64 {
        (0..times).fold(from, |at, _| step(at))
    }

    /// The one rule the help and the README state: a big step is worth ten
    /// small ones. Counted steps: ten presses. Ladders: ×10, which on the
    /// ladder is three rungs (1 → 2 → 5 → 10).
    #[test]
    fn every_knobs_big_step_is_worth_ten_small_ones() {
        for spec in every_knob() {
            let (lo, hi) = (*spec.range.start(), *spec.range.end());
            match spec.step {
                Step::Linear { .. } => {
                    for v in [lo, spec.default, (lo + hi) / 2, hi] {
                        let up = repeat(10, v, |at| spec.step_up(at, false));
                        let down = repeat(10, v, |at| spec.step_down(at, false));
                        assert_eq!(spec.step_up(v, true), up, "{} up from {v}", spec.id);
                        assert_eq!(spec.step_down(v, true), down, "{} down from {v}", spec.id);
                    }
                }
                Step::Ladder { first } => {
                    let rungs = (0..)
                        .map(|power| first * 10u64.pow(power))
                        .take_while(|&decade| decade * 10 <= hi)
                        .flat_map(|decade| [decade, decade * 2, decade * 5])
                        .filter(|&rung| rung >= lo && rung * 10 <= hi);
                    for rung in rungs {
                        let up = repeat(3, rung, |at| spec.step_up(at, false));
                        let down = repeat(3, rung * 10, |at| spec.step_down(at, false));
                        assert_eq!((spec.step_up(rung, true), up), (rung * 10, rung * 10));
                        assert_eq!((spec.step_down(rung * 10, true), down), (rung, rung));
                    }
                }
            }
        }
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
