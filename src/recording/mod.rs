//! Recordings: a run written down tick by tick, to replay in the dashboard
//! (`looptop replay FILE`).
//!
//! A recording is JSON lines. The first is a header: the format's version,
//! the scenario, the workers, the tick and every knob's value. Then, in the
//! order they happened, each tick's snapshot (the same object headless mode
//! prints) and each change of the knobs: a knob turned
//! (`{"knob":"queue.consumers","value":8}`) or another scenario started
//! (`{"scenario":"blocking","knobs":{…}}`); a change applies from the next
//! tick on. Each line is written whole, with one write, as it happens: a
//! run that crashes loses at most the tick it was writing.
//!
//! - `writer`: `--record FILE`, bounded by `--record-limit`;
//! - `reader`: a recording read back, every fault a one-line error;
//! - `flight`: `--record-on-warning DIR`, the minute before and after each
//!   warning that begins.

pub mod flight;
pub mod reader;
pub mod writer;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::settings::{KnobId, Settings};

pub use flight::FlightRecorder;
pub use reader::Recording;
pub use writer::Recorder;

/// The format this looptop writes, and the newest it reads.
pub const VERSION: u64 = 1;

/// The first line of a recording.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The format's version; the key says what the file is.
    pub looptop_recording: u64,
    pub scenario: String,
    pub workers: usize,
    pub tick_s: f64,
    /// Every knob's value at the start, by name (`queue.consumers`).
    pub knobs: BTreeMap<String, u64>,
}

impl Header {
    pub fn new(scenario: &str, workers: usize, tick_s: f64, settings: &Settings) -> Self {
        Self {
            looptop_recording: VERSION,
            scenario: scenario.to_string(),
            workers,
            tick_s,
            knobs: by_name(settings),
        }
    }
}

/// A change of the knobs between two ticks.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    Knob(KnobId, u64),
    /// Another scenario, with every knob's value.
    Scenario(String, Settings),
}

/// A change as its line says it.
#[derive(Serialize)]
#[serde(untagged)]
enum ChangeLine<'a> {
    Knob {
        knob: String,
        value: u64,
    },
    Scenario {
        scenario: &'a str,
        knobs: BTreeMap<String, u64>,
    },
}

impl Change {
    fn line(&self) -> ChangeLine<'_> {
        match self {
            Change::Knob(knob, value) => ChangeLine::Knob {
                knob: knob.name(),
                value: *value,
            },
            Change::Scenario(name, settings) => ChangeLine::Scenario {
                scenario: name,
                knobs: by_name(settings),
            },
        }
    }
}

/// Every knob's value by name.
fn by_name(settings: &Settings) -> BTreeMap<String, u64> {
    settings
        .knobs()
        .map(|(knob, value)| (knob.name(), value))
        .collect()
}

/// The settings `knobs` names: their workloads' knobs, each at its value.
pub fn settings_of(knobs: &BTreeMap<String, u64>) -> Result<Settings, String> {
    let mut known = Vec::new();
    for (name, value) in knobs {
        let knob = KnobId::named(name).ok_or_else(|| format!("no knob is named {name:?}"))?;
        known.push((knob, *value));
    }
    let groups: Vec<_> = known.iter().map(|(knob, _)| knob.group).collect();
    let mut settings = Settings::defaults(&groups);
    for (knob, value) in known {
        settings.set(knob, value);
    }
    Ok(settings)
}

/// Where a run's ticks and changes go besides the screen: `--record`,
/// `--record-on-warning`, the `--serve` endpoint; any of them or none.
#[derive(Default)]
pub struct Sinks {
    record: Option<Recorder>,
    flight: Option<FlightRecorder>,
    serve: Option<crate::endpoint::Publisher>,
}

impl Sinks {
    /// Opens what was asked for; an error is one line.
    pub fn open(
        record: Option<&std::path::Path>,
        on_warning: Option<&std::path::Path>,
        limit: u64,
        header: Header,
        settings: &Settings,
    ) -> Result<Self, String> {
        let record = match record {
            Some(path) => Some(Recorder::create(path, limit, &header).map_err(|e| e.to_string())?),
            None => None,
        };
        let flight = match on_warning {
            Some(dir) => Some(FlightRecorder::new(
                dir.to_path_buf(),
                limit,
                header,
                settings.clone(),
            )?),
            None => None,
        };
        Ok(Self {
            record,
            flight,
            serve: None,
        })
    }

    /// Publishes every tick and change on the endpoint too.
    pub fn serving(mut self, publisher: crate::endpoint::Publisher) -> Self {
        self.serve = Some(publisher);
        self
    }

    /// A tick, to each; what they have to say (a file begun or stopped).
    pub fn tick(&mut self, snapshot: &crate::sampler::Snapshot) -> Vec<String> {
        if let Some(serve) = &self.serve {
            serve.tick(snapshot);
        }
        let record = self.record.as_mut().and_then(|r| r.tick(snapshot));
        let flight = self.flight.as_mut().and_then(|f| f.tick(snapshot));
        record.into_iter().chain(flight).collect()
    }

    /// A change of the knobs, to each.
    pub fn change(&mut self, change: &Change) -> Vec<String> {
        if let Some(serve) = &self.serve {
            serve.change(change);
        }
        let record = self.record.as_mut().and_then(|r| r.change(change));
        let flight = self.flight.as_mut().and_then(|f| f.change(change));
        record.into_iter().chain(flight).collect()
    }
}
