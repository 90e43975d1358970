//! Going back in time: while the display is paused, or in a replay, a
//! cursor moves through the history, and every pane draws the snapshot at
//! the cursor; the knobs show what they were then. Each warning's first
//! tick is an event to jump to. A replay plays by moving the cursor on.

use super::App;
use crate::recording::Recording;
use crate::sampler::History;
use crate::settings::{KnobId, Settings};

/// What Shift moves the cursor by.
const BIG_STEP_S: f64 = 10.0;

/// A recording being replayed.
#[derive(Clone, Debug)]
pub struct Playback {
    pub recording: Recording,
    pub speed: f64,
    pub playing: bool,
}

/// A knob turned while the display ran, to show it as it was before.
#[derive(Clone, Copy, Debug)]
pub(super) struct Turned {
    /// The uptime of the newest snapshot when it was turned: it shows from
    /// the next one on.
    pub after_s: f64,
    pub knob: KnobId,
    pub before: u64,
}

/// At most this many turns are remembered, however fast keys repeat; turns
/// before the oldest tick held are dropped first (no cursor reaches them).
pub(super) const MAX_TURNS: usize = 65_536;

impl App {
    /// The history the cursor moves through: the frozen copy while paused,
    /// the whole recording in a replay; none while the display runs.
    fn timeline(&mut self) -> Option<&mut History> {
        if self.playback.is_some() {
            Some(&mut self.history)
        } else {
            self.frozen.as_mut()
        }
    }

    /// Moves the cursor `ticks` on (or back, if negative); with `big`, by
    /// ten seconds' worth of ticks instead.
    pub(super) fn step(&mut self, forward: bool, big: bool) {
        let Some(history) = self.timeline() else {
            return;
        };
        let at = history.cursor();
        let ticks = match (big, history.latest()) {
            (true, Some(s)) if s.interval_s > 0.0 => (BIG_STEP_S / s.interval_s).round() as usize,
            (true, _) => 40,
            (false, _) => 1,
        }
        .max(1);
        let to = if forward {
            at.saturating_add(ticks)
        } else {
            at.saturating_sub(ticks)
        };
        self.move_cursor(to);
    }

    /// Jumps to the previous (or next) tick where a warning began.
    pub(super) fn jump(&mut self, forward: bool) {
        let Some(history) = self.timeline() else {
            return;
        };
        let at = history.cursor();
        let events = events(history);
        let found = if forward {
            events.into_iter().find(|&e| e > at)
        } else {
            events.into_iter().rev().find(|&e| e < at)
        };
        match found {
            Some(to) => self.move_cursor(to),
            None => {
                let which = if forward { "later" } else { "earlier" };
                self.notice = Some(format!("no warning begins {which} in the history"));
            }
        }
    }

    /// Replay: plays or pauses; at the end, plays again from the start.
    pub(super) fn toggle_play(&mut self) {
        let at_end = self.history.at_newest();
        let Some(playback) = &mut self.playback else {
            return;
        };
        playback.playing = !playback.playing;
        if playback.playing && at_end {
            self.move_cursor(0);
        }
    }

    /// Replay: the next speed up or down.
    pub(super) fn change_speed(&mut self, faster: bool) {
        let Some(playback) = &mut self.playback else {
            return;
        };
        // The next speed of the list past the current one (which
        // `--speed` may have set between two of them), within the list.
        let speeds = crate::cli::SPEEDS;
        let next = if faster {
            speeds.iter().find(|s| **s > playback.speed)
        } else {
            speeds.iter().rev().find(|s| **s < playback.speed)
        };
        if let Some(next) = next {
            playback.speed = *next;
        }
    }

    /// Replay: one tick on, as the clock says; stops at the end. Whether
    /// the cursor moved (a paused replay need not be drawn again).
    pub fn advance(&mut self) -> bool {
        let Some(playback) = &mut self.playback else {
            return false;
        };
        if !playback.playing {
            return false;
        }
        if self.history.at_newest() {
            playback.playing = false;
            return true;
        }
        let next = self.history.cursor() + 1;
        self.move_cursor(next);
        if self.history.at_newest() {
            if let Some(playback) = &mut self.playback {
                playback.playing = false;
            }
        }
        true
    }

    /// The cursor to `at`, and the knobs to what they were there.
    pub(super) fn move_cursor(&mut self, at: usize) {
        if let Some(history) = self.timeline() {
            history.set_cursor(at);
        }
        self.knobs_at_cursor();
    }

    /// The knobs as they were at the cursor: in a replay, as recorded; while
    /// paused, the live values with the turns made since undone.
    pub(super) fn knobs_at_cursor(&mut self) {
        if let Some(playback) = &self.playback {
            let (scenario, settings) = playback.recording.settings_at(self.history.cursor());
            self.info.scenario = scenario;
            self.settings = settings;
            return;
        }
        let Some(cursor) = self.frozen.as_ref().and_then(|h| h.latest()) else {
            self.shown = None;
            return;
        };
        let mut shown = self.settings.clone();
        for turn in self.turns.iter().rev() {
            if turn.after_s >= cursor.uptime_s {
                shown.set(turn.knob, turn.before);
            }
        }
        self.shown = (shown != self.settings).then_some(shown);
    }

    /// The knobs the panes show: as they were at the cursor.
    pub fn knobs(&self) -> &Settings {
        self.shown.as_ref().unwrap_or(&self.settings)
    }

    /// Seconds the cursor is behind the newest snapshot; none at now.
    pub fn rewound_s(&self) -> Option<f64> {
        let history = self.view();
        (!history.at_newest()).then(|| history.behind_s())
    }
}

/// The positions in `history` where a warning began: it is there and was
/// not in the tick before.
pub fn events(history: &History) -> Vec<usize> {
    let all: Vec<_> = history.all().collect();
    (1..all.len())
        .filter(|&i| {
            all[i]
                .warnings
                .iter()
                .any(|w| !all[i - 1].warnings.iter().any(|p| p.kind == w.kind))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::app::{Action, App, Effect, RunInfo};
    use crate::recording::{Change, Header, Recording};
    use crate::sampler::snapshot::WarningKind;
    use crate::sampler::Snapshot;
    use crate::settings::{Settings, STALL_THRESHOLD};
    use crate::workload::QueueKnob;

    /// Tick `t`, with a worker blocked from tick 30 to 35 and from 60 on.
    fn tick(t: u64) -> Snapshot {
        let blocked = (30..35).contains(&t) || t >= 60;
        let kinds: &[WarningKind] = if blocked {
            &[WarningKind::BlockedWorker]
        } else {
            &[]
        };
        Snapshot::warned(t, kinds)
    }

    fn info() -> RunInfo {
        RunInfo::new("queue", 2, Duration::from_millis(250))
    }

    fn live(ticks: u64) -> App {
        let settings = Settings::for_queue(Default::default());
        let mut app = App::new(info(), settings, Default::default());
        for t in 1..=ticks {
            app.record(tick(t));
        }
        app
    }

    fn at(app: &App) -> u64 {
        app.view().latest().unwrap().tick
    }

    #[test]
    fn paused_the_arrows_move_through_time_and_unpausing_returns_to_now() {
        let mut app = live(100);
        let turned = app.update(Action::Decrease { big: false });
        assert!(
            matches!(turned, Some(Effect::SetKnob(..))),
            "running, the arrows turn knobs"
        );
        assert_eq!(at(&app), 100);
        let mut app = live(100);
        app.update(Action::TogglePause);
        app.update(Action::Decrease { big: false });
        assert_eq!((at(&app), app.rewound_s()), (99, Some(0.25)));
        app.update(Action::Decrease { big: true });
        assert_eq!(at(&app), 59, "Shift: ten seconds of 250 ms ticks");
        app.update(Action::Increase { big: false });
        assert_eq!(at(&app), 60);
        app.record(tick(101));
        assert_eq!(at(&app), 60, "new ticks do not move a paused cursor");
        app.update(Action::TogglePause);
        assert_eq!((at(&app), app.rewound_s()), (101, None));
    }

    #[test]
    fn event_jumps_land_on_the_tick_a_warning_began() {
        let mut app = live(100);
        app.update(Action::TogglePause);
        app.update(Action::PreviousEvent);
        assert_eq!(at(&app), 60);
        app.update(Action::PreviousEvent);
        assert_eq!(at(&app), 30);
        app.update(Action::PreviousEvent);
        assert_eq!(at(&app), 30, "none earlier");
        assert!(app.notice.as_deref().unwrap().contains("no warning"));
        app.update(Action::NextEvent);
        assert_eq!(at(&app), 60);
    }

    #[test]
    fn rewound_the_knobs_show_what_they_were_then() {
        let consumers = QueueKnob::Consumers.into();
        let mut app = live(40);
        app.selected = 1;
        let turned = app.update(Action::Increase { big: false });
        assert_eq!(turned, Some(Effect::SetKnob(consumers, 5)));
        app.record(tick(41));
        app.update(Action::TogglePause);
        assert_eq!(app.knobs().get(consumers), Some(5));
        app.update(Action::Decrease { big: false });
        assert_eq!((at(&app), app.knobs().get(consumers)), (40, Some(4)));
        assert_eq!(app.settings.get(consumers), Some(5), "the live value");
        app.update(Action::TogglePause);
        assert_eq!(app.knobs().get(consumers), Some(5));
    }

    #[test]
    fn a_key_held_down_for_minutes_is_undone_as_far_back_as_the_history_goes() {
        let stall = STALL_THRESHOLD;
        let mut app = live(10);
        app.selected = app.settings.len() - 1;
        assert_eq!(app.settings.at(app.selected).map(|(k, _)| k), Some(stall));
        // 5,000 turns, up and down, over 500 ticks: a held key repeating.
        for t in 11..=510 {
            for _ in 0..5 {
                app.update(Action::Increase { big: false });
                app.update(Action::Decrease { big: false });
            }
            app.record(tick(t));
        }
        app.update(Action::Increase { big: false });
        app.record(tick(511));
        app.update(Action::TogglePause);
        let now = app.knobs().get(stall);
        assert_ne!(now, Some(10_000));
        app.move_cursor(0);
        assert_eq!((at(&app), app.knobs().get(stall)), (1, Some(10_000)));
    }

    fn replay() -> App {
        let settings = Settings::for_queue(Default::default());
        let recording = Recording {
            header: Header::new("queue", 2, 0.25, &settings),
            settings: settings.clone(),
            ticks: (1..=100).map(tick).collect(),
            changes: vec![(50, Change::Knob(STALL_THRESHOLD, 1_000))],
        };
        App::replay(info(), recording, 1.0, Default::default())
    }

    #[test]
    fn a_replay_plays_from_the_start_to_the_end_and_shows_its_knob_changes() {
        let mut app = replay();
        assert_eq!(at(&app), 1);
        for _ in 0..49 {
            app.advance();
        }
        assert_eq!(
            (at(&app), app.knobs().get(STALL_THRESHOLD)),
            (50, Some(10_000))
        );
        app.advance();
        assert_eq!(
            (at(&app), app.knobs().get(STALL_THRESHOLD)),
            (51, Some(1_000))
        );
        app.update(Action::TogglePause);
        app.advance();
        assert_eq!(at(&app), 51, "paused");
        app.update(Action::Decrease { big: false });
        assert_eq!(
            app.knobs().get(STALL_THRESHOLD),
            Some(10_000),
            "back before it"
        );
        app.update(Action::NextEvent);
        assert_eq!(at(&app), 60, "jumps forward to a warning not yet played");
        app.update(Action::TogglePause);
        for _ in 0..100 {
            app.advance();
        }
        assert_eq!(at(&app), 100);
        assert!(!app.playback.as_ref().unwrap().playing, "stops at the end");
    }

    #[test]
    fn a_replay_changes_speed_within_its_range_and_takes_no_knob_changes() {
        let mut app = replay();
        for _ in 0..5 {
            app.update(Action::Faster);
        }
        assert_eq!(app.playback.as_ref().unwrap().speed, 8.0);
        for _ in 0..9 {
            app.update(Action::Slower);
        }
        assert_eq!(app.playback.as_ref().unwrap().speed, 0.25);
        // Between two of the list (`--speed 1.5`): the next one up is 2x.
        app.playback.as_mut().unwrap().speed = 1.5;
        app.update(Action::Faster);
        assert_eq!(app.playback.as_ref().unwrap().speed, 2.0);
        assert_eq!(app.update(Action::DefaultKnob), None);
        assert_eq!(app.notice.as_deref(), Some(crate::app::READ_ONLY));
        assert_eq!(app.update(Action::ResetStatistics), None);
        assert_eq!(app.update(Action::TaskDump), None);
    }
}
