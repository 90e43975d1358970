//! `--record-on-warning DIR`: a flight recorder. The last minute is kept in
//! memory; when a warning begins, the minute before it and the minute after
//! are written to a file in DIR named by the time and the warning, so a
//! long run leaves only its interesting moments. A warning that begins
//! while a file is open extends it rather than opening another.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::SystemTime;

use super::{Change, Header, Recorder};
use crate::sampler::snapshot::WarningKind;
use crate::sampler::Snapshot;
use crate::settings::Settings;

/// Kept before a warning, and written after it.
pub const WINDOW_S: f64 = 60.0;

/// Ticks and changes kept at most: a minute at the shortest tick (50 ms),
/// and then some, whatever the ticks' uptimes say.
const MAX_KEPT: usize = 2_048;

enum Kept {
    Tick(Box<Snapshot>),
    Change(Change),
}

pub struct FlightRecorder {
    dir: PathBuf,
    limit: u64,
    /// The header as of the oldest thing kept.
    header: Header,
    settings: Settings,
    kept: VecDeque<Kept>,
    /// The file being written, and the uptime to write it until.
    open: Option<(Recorder, f64)>,
    warnings_before: Vec<WarningKind>,
    /// Files written, oldest first.
    pub written: Vec<PathBuf>,
}

impl FlightRecorder {
    /// Checks that `dir` is a folder it can write to.
    pub fn new(
        dir: PathBuf,
        limit: u64,
        header: Header,
        settings: Settings,
    ) -> Result<Self, String> {
        let probe = dir.join(".looptop-write-check");
        std::fs::write(&probe, b"")
            .and_then(|()| std::fs::remove_file(&probe))
            .map_err(|e| format!("cannot write recordings to {}: {e}", dir.display()))?;
        Ok(Self {
            dir,
            limit,
            header,
            settings,
            kept: VecDeque::new(),
            open: None,
            warnings_before: Vec::new(),
            written: Vec::new(),
        })
    }

    /// Keeps a tick, writes it if a file is open, opens one if a warning
    /// begins; a message when a file is opened, or when one stops.
    pub fn tick(&mut self, snapshot: &Snapshot) -> Option<String> {
        let now = snapshot.uptime_s;
        let begun: Vec<WarningKind> = snapshot
            .warnings
            .iter()
            .map(|w| w.kind)
            .filter(|kind| !self.warnings_before.contains(kind))
            .collect();
        self.warnings_before = snapshot.warnings.iter().map(|w| w.kind).collect();
        self.kept.push_back(Kept::Tick(Box::new(snapshot.clone())));
        self.forget_before(now - WINDOW_S);
        let mut message = None;
        if let Some(first) = begun.first() {
            match &mut self.open {
                Some((_, until)) => *until = now + WINDOW_S,
                None => {
                    // The kept ticks, this one among them, go in the new file.
                    return self.open_file(first.name(), now);
                }
            }
        }
        if let Some((recorder, until)) = &mut self.open {
            message = recorder.tick(snapshot);
            if now >= *until || !recorder.recording() {
                self.open = None;
            }
        }
        message
    }

    /// A change of the knobs, kept and written like a tick.
    pub fn change(&mut self, change: &Change) -> Option<String> {
        self.kept.push_back(Kept::Change(change.clone()));
        let (recorder, _) = self.open.as_mut()?;
        recorder.change(change)
    }

    /// Opens a file for the warning `name`, beginning with what is kept.
    fn open_file(&mut self, name: &str, now: f64) -> Option<String> {
        let time = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
        let file = format!("looptop-{}-{name}.jsonl", time.replace(':', "-"));
        let path = self.dir.join(file);
        let mut recorder = match Recorder::create(&path, self.limit, &self.header) {
            Ok(recorder) => recorder,
            Err(e) => return Some(e.to_string()),
        };
        for kept in &self.kept {
            let stopped = match kept {
                Kept::Tick(snapshot) => recorder.tick(snapshot),
                Kept::Change(change) => recorder.change(change),
            };
            if stopped.is_some() {
                return stopped;
            }
        }
        self.written.push(path.clone());
        self.open = Some((recorder, now + WINDOW_S));
        Some(format!(
            "a warning began ({name}): recording to {}",
            path.display()
        ))
    }

    /// Drops the ticks older than `oldest` (and any past `MAX_KEPT`),
    /// folding the changes before the oldest tick kept into the header.
    fn forget_before(&mut self, oldest: f64) {
        loop {
            let old = match self.kept.front() {
                Some(Kept::Change(_)) => true,
                Some(Kept::Tick(s)) => s.uptime_s < oldest || self.kept.len() > MAX_KEPT,
                None => false,
            };
            if !old {
                break;
            }
            if let Some(Kept::Change(change)) = self.kept.pop_front() {
                self.apply(change);
            }
        }
    }

    fn apply(&mut self, change: Change) {
        match change {
            Change::Knob(knob, value) => {
                self.settings.set(knob, value);
            }
            Change::Scenario(name, settings) => {
                self.header.scenario = name;
                self.settings = settings;
            }
        }
        self.header.knobs = super::by_name(&self.settings);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::Recording;

    fn tick(t: u64, kinds: &[WarningKind]) -> Snapshot {
        Snapshot::warned(t, kinds)
    }

    #[test]
    fn a_file_holds_the_minute_before_every_tick_through_a_second_warning_and_the_minute_after() {
        let dir = std::env::temp_dir().join(format!("looptop-flight-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let settings = Settings::defaults(&[]);
        let header = Header::new("queue", 2, 0.25, &settings);
        let mut flight = FlightRecorder::new(dir.clone(), 1 << 30, header, settings).unwrap();
        let (blocked, full) = (WarningKind::BlockedWorker, WarningKind::Backpressure);
        // Calm for two minutes; blocked from 2:00; full too from 2:30.
        for t in 1..=1_200 {
            let kinds: &[WarningKind] = match t {
                ..480 => &[],
                480..600 => &[blocked],
                _ => &[blocked, full],
            };
            flight.tick(&tick(t, kinds));
        }
        assert_eq!(
            flight.written.len(),
            1,
            "the second warning extends the file"
        );
        let recording = Recording::load(&flight.written[0]).unwrap();
        let ticks: Vec<u64> = recording.ticks.iter().map(|s| s.tick).collect();
        // A minute before the first warning, to a minute after the second.
        let (first, last) = (480 - 240, 600 + 240);
        assert_eq!(
            ticks,
            (first..=last).collect::<Vec<_>>(),
            "every tick, once"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
