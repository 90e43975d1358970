//! What every workload provides, so the rest of looptop knows none by name:
//! the list of workloads (`workload/mod.rs`) has one `Kind` per workload,
//! and the runner, the dashboard and the summary go through it.

use std::io;
use std::time::{Duration, Instant};

#[cfg(feature = "ui")]
use ratatui::layout::Rect;
#[cfg(feature = "ui")]
use ratatui::Frame;
use tokio::runtime::Handle;

use crate::sampler::sections::{SectionReader, Sections, WorkloadSample};
#[cfg(feature = "ui")]
use crate::sampler::History;
use crate::sampler::Snapshot;
#[cfg(feature = "ui")]
use crate::ui::layout::Want;
use crate::workload::requests::Target;
use crate::workload::KnobSpec;

/// Starts a workload on the runtime with these knob values; the last
/// argument is where a workload that sends requests sends them, if not to
/// its own server.
pub type Start = fn(&Handle, &[u64], Option<&Target>) -> io::Result<Box<dyn Workload>>;

/// A kind of workload: its scenario table, how it starts, its pane and its
/// lines in the text summary. Each workload declares one, as a static.
pub struct Kind {
    /// Its table in scenario files.
    pub name: &'static str,
    /// Its knobs, in the order scenario files, keys and `Workload::set`
    /// number them.
    pub knobs: &'static [KnobSpec],
    pub start: Start,
    /// The rows its pane asks for at this width.
    #[cfg(feature = "ui")]
    pub want: fn(&History, u16) -> Want,
    /// Draws its pane from the snapshots' sections.
    #[cfg(feature = "ui")]
    pub draw: fn(&mut Frame, Rect, &History),
    /// Its part of headless mode's text summary, fed every snapshot.
    pub summary: fn() -> Box<dyn SummaryPart>,
    /// How its section is read back from a recording.
    pub section: SectionReader,
}

/// A workload running on the observed runtime.
pub trait Workload: Send {
    /// Changes knob number `knob` (as `Kind::knobs` numbers them) live.
    fn set(&mut self, knob: usize, value: u64);

    /// Its knob values as it runs them.
    fn values(&self) -> Vec<u64>;

    /// Puts its section of the tick into `sections`: what it counted since
    /// the last tick, totals since the last reset.
    fn sample(&mut self, tick: &Tick, sections: &mut Sections);

    /// Totals count from now (a statistics reset).
    fn reset(&mut self);
}

/// What a tick knows beyond a workload's own counters.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tick {
    /// Cores' worth of CPU the runtime's workers got in the tick, when
    /// their threads' clocks could be read.
    pub workers_cpu: Option<f64>,
    /// The cores this process may use.
    pub cores: u64,
}

/// A workload told by its counters: most implement this, and `Counting`
/// turns it into a `Workload`.
pub trait Counted: Send + 'static {
    /// A reading of its counters: totals since it started, and gauges.
    type Counts: Clone + Default + Send;
    type Sample: WorkloadSample;

    fn set(&mut self, knob: usize, value: u64);
    fn values(&self) -> Vec<u64>;
    fn counters(&self) -> Self::Counts;

    /// Its section from the readings at the last tick and now, `elapsed`
    /// apart, with totals from `baseline`.
    fn section(&mut self, readings: Readings<'_, Self::Counts>, tick: &Tick) -> Self::Sample;
}

/// Two readings of a workload's counters and the one at the last reset.
pub struct Readings<'a, C> {
    pub before: &'a C,
    pub after: &'a C,
    pub baseline: &'a C,
    pub elapsed: Duration,
}

/// A `Counted` workload with its last reading and its baseline.
pub struct Counting<W: Counted> {
    workload: W,
    last: W::Counts,
    at: Instant,
    baseline: W::Counts,
}

impl<W: Counted> Counting<W> {
    pub fn boxed(workload: W) -> Box<dyn Workload> {
        let last = workload.counters();
        Box::new(Self {
            baseline: last.clone(),
            last,
            at: Instant::now(),
            workload,
        })
    }
}

impl<W: Counted> Workload for Counting<W> {
    fn set(&mut self, knob: usize, value: u64) {
        self.workload.set(knob, value);
    }

    fn values(&self) -> Vec<u64> {
        self.workload.values()
    }

    fn sample(&mut self, tick: &Tick, sections: &mut Sections) {
        let now = self.workload.counters();
        let at = Instant::now();
        let readings = Readings {
            before: &self.last,
            after: &now,
            baseline: &self.baseline,
            elapsed: at.duration_since(self.at),
        };
        let section = self.workload.section(readings, tick);
        sections.put(section);
        self.last = now;
        self.at = at;
    }

    fn reset(&mut self) {
        self.baseline = self.last.clone();
    }
}

/// A workload's lines in the text summary.
pub trait SummaryPart {
    fn add(&mut self, snapshot: &Snapshot);
    /// Its lines, each ending in a newline; empty if it saw nothing.
    fn render(&self) -> String;
}
