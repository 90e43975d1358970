//! A recording read back whole. Whatever is wrong with a file (empty,
//! binary, someone else's JSON, a newer format, cut off mid-line) is one
//! line that says what and where.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::{settings_of, Change, Header, VERSION};
use crate::sampler::sections::Sections;
use crate::sampler::Snapshot;
use crate::settings::{KnobId, Settings};

#[derive(Clone, Debug)]
pub struct Recording {
    pub header: Header,
    /// Every knob at the start.
    pub settings: Settings,
    pub ticks: Vec<Snapshot>,
    /// The changes of the knobs, each with the index of the first tick it
    /// applies to.
    pub changes: Vec<(usize, Change)>,
}

impl Recording {
    pub fn load(path: &Path) -> Result<Self, String> {
        let shown = path.display();
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
        Self::parse(&bytes).map_err(|(line, why)| match line {
            0 => format!("{shown}: {why}"),
            n => format!("{shown}:{n}: {why}"),
        })
    }

    /// The recording in `bytes`; an error names its line (0: the file).
    pub fn parse(bytes: &[u8]) -> Result<Self, (usize, String)> {
        const NOT_ONE: &str = "not a looptop recording";
        if bytes.is_empty() {
            return Err((0, format!("empty: {NOT_ONE}")));
        }
        let text =
            std::str::from_utf8(bytes).map_err(|_| (0, format!("binary data: {NOT_ONE}")))?;
        let mut lines = text
            .split_inclusive('\n')
            .enumerate()
            .map(|(i, l)| (i + 1, l));
        let header = lines.next().map_or("", |(_, l)| l);
        let header: Header = serde_json::from_str::<Value>(header)
            .ok()
            .filter(|v| v.get("looptop_recording").is_some())
            .ok_or_else(|| (1, format!("{NOT_ONE}: no header line (looptop --record FILE writes one)")))
            .and_then(|v| {
                let version = v["looptop_recording"].as_u64().unwrap_or(0);
                if version > VERSION {
                    return Err((
                        1,
                        format!(
                            "recorded in format version {version}; this looptop reads versions 1 to {VERSION}: replay it with a newer looptop"
                        ),
                    ));
                }
                Header::deserialize(&v).map_err(|e| (1, format!("a header, but {e}")))
            })?;
        let (min, max) = crate::settings::TICK_RANGE;
        if !(min.as_secs_f64()..=max.as_secs_f64()).contains(&header.tick_s) {
            return Err((
                1,
                format!("a tick of {}s: ticks are 50ms to 5s", header.tick_s),
            ));
        }
        if header.workers > crate::settings::MAX_WORKERS as usize {
            return Err((
                1,
                format!(
                    "{} workers: at most {}",
                    header.workers,
                    crate::settings::MAX_WORKERS
                ),
            ));
        }
        let settings = settings_of(&header.knobs).map_err(|e| (1, e))?;
        let mut recording = Recording {
            header,
            settings,
            ticks: Vec::new(),
            changes: Vec::new(),
        };
        for (n, line) in lines {
            let Some(line) = line.strip_suffix('\n') else {
                return Err((
                    n,
                    "cut off mid-line (the end of the file is missing)".to_string(),
                ));
            };
            let value: Value =
                serde_json::from_str(line).map_err(|e| (n, format!("not JSON: {e}")))?;
            recording.add(&value).map_err(|why| (n, why))?;
        }
        if recording.ticks.is_empty() {
            return Err((0, "holds no tick: nothing to replay".to_string()));
        }
        Ok(recording)
    }

    /// A tick, or a change that applies to the next tick on.
    fn add(&mut self, value: &Value) -> Result<(), String> {
        let object = value.as_object().ok_or("not a JSON object")?;
        let next = self.ticks.len();
        if let Some(name) = object.get("knob") {
            let name = name.as_str().unwrap_or_default();
            let knob = KnobId::named(name).ok_or_else(|| format!("no knob is named {name:?}"))?;
            let value = object.get("value").and_then(Value::as_u64);
            let value = value.ok_or_else(|| format!("{name} has no value"))?;
            self.changes.push((next, Change::Knob(knob, value)));
        } else if let Some(name) = object.get("scenario") {
            let knobs = object.get("knobs").cloned().unwrap_or_default();
            let knobs = serde_json::from_value(knobs).map_err(|e| format!("knobs: {e}"))?;
            let name = name.as_str().unwrap_or_default().to_string();
            self.changes
                .push((next, Change::Scenario(name, settings_of(&knobs)?)));
        } else if object.contains_key("tick") {
            self.ticks.push(snapshot(value)?);
        } else {
            return Err("neither a tick nor a change of the knobs".to_string());
        }
        Ok(())
    }

    /// The scenario and every knob as they were at tick `at`.
    pub fn settings_at(&self, at: usize) -> (String, Settings) {
        let mut scenario = self.header.scenario.clone();
        let mut settings = self.settings.clone();
        for (from, change) in &self.changes {
            if *from > at {
                break;
            }
            match change {
                Change::Knob(knob, value) => {
                    settings.set(*knob, *value);
                }
                Change::Scenario(name, new) => {
                    scenario = name.clone();
                    settings = new.clone();
                }
            }
        }
        (scenario, settings)
    }
}

/// A tick read back from its JSON (as headless mode prints it), with every
/// workload's section.
pub fn snapshot(value: &Value) -> Result<Snapshot, String> {
    let object = value.as_object().ok_or("not a JSON object")?;
    let mut snapshot = Snapshot::deserialize(value).map_err(|e| format!("not a tick: {e}"))?;
    snapshot.sections = Sections::read(object, crate::workload::section_readers())?;
    Ok(snapshot)
}
