//! The dashboard's state and how actions change it. Nothing here draws or
//! touches the runtime: `update` returns the effect for the caller to apply,
//! so the state is testable without a terminal or a workload.

mod action;
pub mod keys;
pub mod timeline;

pub use action::Action;
pub use timeline::Playback;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use timeline::{Turned, MAX_TURNS};

use crate::recording::{Header, Recording};
use crate::sampler::{History, Snapshot};
use crate::scenario::{Explain, Scenario};
use crate::settings::{KnobId, Settings};
use crate::taskdump::{self, DumpError, TaskDump};

/// What the event loop must do outside the app after an action.
pub use crate::source::Effect;

/// The task dump panel: a dump being taken, or its groups with one
/// selected, and that group's whole trace when opened.
#[derive(Clone, Debug, PartialEq)]
pub struct DumpPanel {
    /// None while the dump is being taken.
    pub result: Option<Result<TaskDump, DumpError>>,
    pub selected: usize,
    /// The selected group's whole trace is shown.
    pub open: bool,
}

impl DumpPanel {
    /// A dump on its way: nothing to show or select yet.
    fn taking() -> Self {
        Self {
            result: None,
            selected: 0,
            open: false,
        }
    }
}

pub use crate::source::READ_ONLY;

/// A scenario the picker offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// What `scenario::load` takes: a built-in name or a file's path.
    pub source: String,
    pub name: String,
    pub summary: String,
}

impl Choice {
    pub fn new(source: &str, scenario: &Scenario) -> Self {
        Self {
            source: source.to_string(),
            name: scenario.name.clone(),
            summary: scenario.summary.clone(),
        }
    }
}

/// What the header shows about the run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    /// The running scenario's name.
    pub scenario: String,
    pub workers: usize,
    pub tick: Duration,
    /// Where tokio-console can attach, if it can.
    pub console: Option<SocketAddr>,
    /// Where this run's endpoint serves (`--serve`).
    pub serving: Option<SocketAddr>,
    /// The other process this dashboard shows (`looptop attach`).
    pub attached: Option<SocketAddr>,
    /// Requests go to an https:// target whose certificate is not checked.
    pub insecure: bool,
}

impl RunInfo {
    /// A run of `scenario` on `workers` workers ticking every `tick`, with
    /// no endpoint and no target.
    pub fn new(scenario: &str, workers: usize, tick: Duration) -> Self {
        Self {
            scenario: scenario.to_string(),
            workers,
            tick,
            console: None,
            serving: None,
            attached: None,
            insecure: false,
        }
    }
}

#[derive(Clone, Debug)]
pub struct App {
    pub info: RunInfo,
    /// The knob values as last applied to the workloads.
    pub settings: Settings,
    /// The selected knob's position in `settings`.
    pub selected: usize,
    history: History,
    /// A copy of the history taken when the display was paused.
    frozen: Option<History>,
    pub show_help: bool,
    /// The running scenario's explanation, and whether it is shown.
    pub explain: Explain,
    pub show_explain: bool,
    /// Scenarios the picker offers.
    pub scenarios: Vec<Choice>,
    /// The picker's highlighted row while it is open.
    pub picker: Option<usize>,
    /// The task dump panel, while it is open.
    pub dump: Option<DumpPanel>,
    /// A message for the user, such as a scenario that would not load.
    pub notice: Option<String>,
    /// Whether the source takes knob changes and scenario switches.
    pub steerable: bool,
    /// A recording being replayed: its history is all there at once.
    pub playback: Option<Playback>,
    /// Knobs turned, to show them as they were at a rewound cursor.
    turns: VecDeque<Turned>,
    /// The knobs as they were at the cursor, where they differ from now.
    shown: Option<Settings>,
    /// Why the source sends no ticks now, if it sends none.
    pub problem: Option<String>,
    pub quit: bool,
}

impl App {
    pub fn new(info: RunInfo, settings: Settings, explain: Explain) -> Self {
        Self {
            info,
            settings,
            selected: 0,
            history: History::default(),
            frozen: None,
            show_help: false,
            explain,
            show_explain: false,
            scenarios: Vec::new(),
            picker: None,
            dump: None,
            notice: None,
            steerable: true,
            playback: None,
            turns: VecDeque::new(),
            shown: None,
            problem: None,
            quit: false,
        }
    }

    /// An attached run's header: its scenario, workers and knobs, shown
    /// read-only; a change of scenario starts the history afresh.
    pub fn adopt(&mut self, header: &Header) {
        let Ok(settings) = crate::recording::settings_of(&header.knobs) else {
            return;
        };
        if header.scenario != self.info.scenario {
            self.history.clear();
            self.info.scenario = header.scenario.clone();
        }
        self.info.workers = header.workers;
        self.settings = settings;
    }

    /// The dashboard on a recording: its every tick held, the cursor on the
    /// first, playing at `speed`; read-only.
    pub fn replay(info: RunInfo, mut recording: Recording, speed: f64, explain: Explain) -> Self {
        // The ticks move into the history: a recording is held once.
        let mut history = History::new(recording.ticks.len());
        for tick in std::mem::take(&mut recording.ticks) {
            history.push(tick);
        }
        let mut app = Self::new(info, recording.settings.clone(), explain).read_only();
        app.history = history;
        app.playback = Some(Playback {
            recording,
            speed,
            playing: true,
        });
        app.move_cursor(0);
        app
    }

    /// For a source that takes no changes: its knobs are shown, not offered.
    pub fn read_only(mut self) -> Self {
        self.steerable = false;
        self
    }

    /// The picker's choices: built-in scenarios by name, files by path.
    pub fn with_scenarios(mut self, scenarios: Vec<Choice>) -> Self {
        self.scenarios = scenarios;
        self
    }

    /// After a switch: the new scenario's knobs and text, a fresh history.
    pub fn switched(&mut self, scenario: &Scenario, settings: Settings) {
        self.info.scenario = scenario.name.clone();
        self.explain = scenario.explain.clone();
        self.settings = settings;
        self.selected = 0;
        self.history.clear();
        self.frozen = self.frozen.as_ref().map(|_| History::default());
        self.turns.clear();
        self.shown = None;
        self.notice = None;
    }

    pub fn record(&mut self, snapshot: Snapshot) {
        self.history.push(snapshot);
    }

    /// What the panes draw: the live history, or the frozen one while paused.
    pub fn view(&self) -> &History {
        self.frozen.as_ref().unwrap_or(&self.history)
    }

    pub fn paused(&self) -> bool {
        self.frozen.is_some()
    }

    /// Applies an action; returns what the caller must do beyond the state.
    pub fn update(&mut self, action: Action) -> Option<Effect> {
        // Paused, or in a replay, the arrows move through time.
        let rewinding = self.playback.is_some() || self.frozen.is_some();
        let overlay = self.picker.is_some() || self.dump.is_some();
        if rewinding && !overlay {
            if let Some(effect) = self.update_timeline(action) {
                return effect;
            }
        }
        let steers = matches!(
            action,
            Action::Increase { .. }
                | Action::Decrease { .. }
                | Action::DefaultKnob
                | Action::OpenPicker
        ) || (self.playback.is_some() && action == Action::ResetStatistics);
        if steers && !self.steerable {
            self.notice = Some(READ_ONLY.to_string());
            return None;
        }
        if let Some(row) = self.picker {
            return self.update_picker(row, action);
        }
        if self.dump.is_some() {
            return self.update_dump(action);
        }
        match action {
            Action::SelectPrevious => self.selected = self.step_selection(-1),
            Action::SelectNext => self.selected = self.step_selection(1),
            Action::Increase { big } | Action::Decrease { big } => {
                let (knob, value) = self.settings.at(self.selected)?;
                let spec = knob.spec();
                let next = if matches!(action, Action::Increase { .. }) {
                    spec.step_up(value, big)
                } else {
                    spec.step_down(value, big)
                };
                if next != value {
                    return Some(self.turn(knob, next));
                }
            }
            Action::DefaultKnob => {
                let (knob, value) = self.settings.at(self.selected)?;
                let default = knob.spec().default;
                if default != value {
                    return Some(self.turn(knob, default));
                }
            }
            Action::TogglePause => {
                self.frozen = match self.frozen {
                    Some(_) => None,
                    None => Some(self.history.clone()),
                };
                self.knobs_at_cursor();
            }
            Action::ResetStatistics => {
                self.history.clear();
                if self.frozen.is_some() {
                    self.frozen = Some(History::default());
                }
                return Some(Effect::ResetStatistics);
            }
            Action::ToggleHelp => self.show_help = !self.show_help,
            Action::ToggleExplain => self.show_explain = !self.show_explain,
            Action::OpenPicker => {
                let current = self
                    .scenarios
                    .iter()
                    .position(|c| c.name == self.info.scenario);
                self.picker = Some(current.unwrap_or(0));
                self.show_help = false;
                self.show_explain = false;
            }
            Action::TaskDump if self.playback.is_some() => {
                self.notice = Some("a recording holds no task dump".to_string());
            }
            Action::TaskDump => {
                self.dump = Some(DumpPanel::taking());
                self.show_help = false;
                self.show_explain = false;
                return Some(Effect::TakeDump);
            }
            Action::Confirm => {}
            Action::Cancel => {
                self.show_help = false;
                self.show_explain = false;
                self.notice = None;
            }
            Action::Quit => self.quit = true,
            Action::Suspend => {}
            // Only while paused or replaying (`update_timeline`).
            Action::PreviousEvent | Action::NextEvent | Action::Slower | Action::Faster => {
                self.notice = Some("pause (space) to go back in time".to_string());
            }
        }
        None
    }

    /// Keys that move through time, while paused or replaying; `None` for
    /// the others. (The outer `Option` is whether the key was taken.)
    fn update_timeline(&mut self, action: Action) -> Option<Option<Effect>> {
        match action {
            Action::Increase { big } => self.step(true, big),
            Action::Decrease { big } => self.step(false, big),
            Action::PreviousEvent => self.jump(false),
            Action::NextEvent => self.jump(true),
            Action::Slower | Action::Faster if self.playback.is_some() => {
                self.change_speed(action == Action::Faster);
            }
            Action::TogglePause if self.playback.is_some() => self.toggle_play(),
            _ => return None,
        }
        Some(None)
    }

    /// Turns `knob` to `value`, remembering what it was.
    fn turn(&mut self, knob: KnobId, value: u64) -> Effect {
        let before = self.settings.get(knob).unwrap_or(value);
        let after_s = self.history.all().last().map_or(0.0, |s| s.uptime_s);
        // The oldest tick a cursor can reach, in the live or the frozen history.
        let oldest_s = [Some(&self.history), self.frozen.as_ref()]
            .into_iter()
            .flatten()
            .filter_map(|h| h.all().next())
            .map(|s| s.uptime_s)
            .fold(f64::INFINITY, f64::min);
        while self
            .turns
            .front()
            .is_some_and(|t| t.after_s < oldest_s || self.turns.len() >= MAX_TURNS)
        {
            self.turns.pop_front();
        }
        self.turns.push_back(Turned {
            after_s,
            knob,
            before,
        });
        self.settings.set(knob, value);
        self.knobs_at_cursor();
        Effect::SetKnob(knob, value)
    }

    /// A dump came: with the polls holding workers now, which it cannot
    /// show.
    pub fn dump_taken(&mut self, result: Result<TaskDump, DumpError>) {
        let running = self
            .history
            .latest()
            .map_or(&[][..], |s| &s.stalls().running);
        let result = taskdump::with_held(result, running);
        if let Some(panel) = &mut self.dump {
            panel.result = Some(result);
        }
    }

    /// Keys while the dump panel is open: move, open a trace, close, take
    /// another.
    fn update_dump(&mut self, action: Action) -> Option<Effect> {
        let panel = self.dump.as_mut()?;
        let groups = match &panel.result {
            Some(Ok(dump)) => dump.groups.len(),
            _ => 0,
        };
        match action {
            Action::SelectPrevious if !panel.open => {
                panel.selected = panel.selected.saturating_sub(1);
            }
            Action::SelectNext if !panel.open => {
                panel.selected = (panel.selected + 1).min(groups.saturating_sub(1));
            }
            Action::Confirm => panel.open = groups > 0,
            Action::Cancel if panel.open => panel.open = false,
            Action::Cancel => self.dump = None,
            Action::TaskDump => {
                *panel = DumpPanel::taking();
                return Some(Effect::TakeDump);
            }
            Action::Quit => self.quit = true,
            _ => {}
        }
        None
    }

    /// Keys while the picker is open: move, switch, close.
    fn update_picker(&mut self, row: usize, action: Action) -> Option<Effect> {
        let n = self.scenarios.len().max(1);
        match action {
            Action::SelectPrevious => self.picker = Some((row + n - 1) % n),
            Action::SelectNext => self.picker = Some((row + 1) % n),
            Action::Confirm => {
                self.picker = None;
                let choice = self.scenarios.get(row)?;
                return Some(Effect::SwitchScenario(choice.source.clone()));
            }
            Action::Cancel | Action::OpenPicker => self.picker = None,
            Action::Quit => self.quit = true,
            _ => {}
        }
        None
    }

    /// The next shown knob in that direction, wrapping around.
    fn step_selection(&self, delta: isize) -> usize {
        let n = self.settings.len().max(1) as isize;
        let mut at = self.selected as isize;
        for _ in 0..n {
            at = (at + delta).rem_euclid(n);
            match self.settings.at(at as usize) {
                Some((knob, _)) if !self.settings.is_shown(knob) => continue,
                _ => break,
            }
        }
        at as usize
    }

    /// The selected knob, if the run has any.
    pub fn selected_knob(&self) -> Option<KnobId> {
        self.settings.at(self.selected).map(|(knob, _)| knob)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::STALL_THRESHOLD;
    use crate::workload::{QueueKnob, QueueSettings};

    fn app() -> App {
        let info = RunInfo::new("queue", 2, Duration::from_millis(250));
        let scenarios = crate::scenario::built_in().unwrap();
        let choices = scenarios.iter().map(|s| Choice::new(&s.name, s)).collect();
        App::new(
            info,
            Settings::for_queue(QueueSettings::default()),
            scenarios[0].explain.clone(),
        )
        .with_scenarios(choices)
    }

    fn snap(tick: u64) -> Snapshot {
        Snapshot {
            tick,
            ..Snapshot::default()
        }
    }

    #[test]
    fn selection_wraps_around_the_knob_list() {
        let mut app = app();
        assert_eq!(app.selected_knob(), Some(QueueKnob::Producers.into()));
        app.update(Action::SelectPrevious);
        assert_eq!(app.selected_knob(), Some(STALL_THRESHOLD));
        app.update(Action::SelectNext);
        app.update(Action::SelectNext);
        assert_eq!(app.selected_knob(), Some(QueueKnob::Consumers.into()));
    }

    #[test]
    fn a_read_only_source_is_offered_no_knob_or_scenario_change() {
        let mut app = app().read_only();
        let before = app.settings.clone();
        for action in [
            Action::Increase { big: true },
            Action::Decrease { big: false },
            Action::DefaultKnob,
            Action::OpenPicker,
        ] {
            assert_eq!(app.update(action), None, "{action:?}");
            assert_eq!(app.notice.as_deref(), Some(READ_ONLY));
        }
        assert_eq!(app.settings, before);
        assert_eq!(app.picker, None);
        // Looking around still works.
        app.update(Action::SelectNext);
        assert_eq!(app.selected_knob(), Some(QueueKnob::Consumers.into()));
        assert_eq!(app.update(Action::TogglePause), None);
        assert!(app.paused());
    }

    #[test]
    fn changing_a_knob_reports_the_new_value() {
        let mut app = app();
        assert_eq!(
            app.update(Action::Increase { big: false }),
            Some(Effect::SetKnob(QueueKnob::Producers.into(), 5))
        );
        assert_eq!(
            app.update(Action::Increase { big: true }),
            Some(Effect::SetKnob(QueueKnob::Producers.into(), 15))
        );
        assert_eq!(app.settings.queue().unwrap().producers, 15);
        app.settings.set(QueueKnob::Producers.into(), 0);
        assert_eq!(
            app.update(Action::Decrease { big: false }),
            None,
            "already at the minimum"
        );
    }

    #[test]
    fn d_puts_the_selected_knob_back_to_its_default() {
        let mut app = app();
        app.update(Action::SelectNext);
        app.update(Action::SelectNext); // capacity, 64 by default
        let capacity = QueueKnob::Capacity.into();
        app.update(Action::Increase { big: true });
        app.update(Action::Increase { big: false });
        assert_eq!(
            app.settings.queue().unwrap().capacity,
            1_000,
            "64 → 640 → 1,000"
        );
        assert_eq!(
            app.update(Action::DefaultKnob),
            Some(Effect::SetKnob(capacity, 64))
        );
        assert_eq!(app.settings.queue().unwrap().capacity, 64);
        assert_eq!(app.update(Action::DefaultKnob), None, "already there");
        app.update(Action::Increase { big: false });
        app.update(Action::OpenPicker);
        assert_eq!(
            app.update(Action::DefaultKnob),
            None,
            "the picker has the keys"
        );
        assert_eq!(app.settings.queue().unwrap().capacity, 100);
    }

    #[test]
    fn pause_freezes_the_view_while_recording_goes_on() {
        let mut app = app();
        app.record(snap(1));
        app.update(Action::TogglePause);
        app.record(snap(2));
        assert!(app.paused());
        assert_eq!(app.view().latest().unwrap().tick, 1);
        app.update(Action::TogglePause);
        assert_eq!(app.view().latest().unwrap().tick, 2);
    }

    #[test]
    fn reset_clears_history_and_quit_sets_the_flag() {
        let mut app = app();
        app.record(snap(1));
        assert_eq!(
            app.update(Action::ResetStatistics),
            Some(Effect::ResetStatistics)
        );
        assert!(app.view().is_empty());
        app.update(Action::ToggleHelp);
        assert!(app.show_help);
        app.update(Action::Cancel);
        assert!(!app.show_help && !app.quit, "Esc closes the help");
        app.update(Action::Cancel);
        assert!(!app.quit, "and with nothing open, Esc does not quit");
        app.update(Action::Quit);
        assert!(app.quit);
    }

    #[test]
    fn the_picker_moves_switches_and_closes() {
        let mut app = app();
        app.update(Action::OpenPicker);
        assert_eq!(app.picker, Some(0), "opens on the running scenario");
        app.update(Action::SelectNext);
        assert_eq!(
            app.update(Action::Increase { big: false }),
            None,
            "knobs wait"
        );
        let chosen = app.scenarios[1].source.clone();
        assert_eq!(
            app.update(Action::Confirm),
            Some(Effect::SwitchScenario(chosen))
        );
        assert_eq!(app.picker, None);
        app.update(Action::OpenPicker);
        app.update(Action::SelectPrevious);
        app.update(Action::SelectPrevious);
        assert_eq!(app.picker, Some(app.scenarios.len() - 2), "wraps around");
        app.update(Action::Cancel);
        assert_eq!((app.picker, app.quit), (None, false));
    }

    #[test]
    fn switching_takes_the_new_knobs_and_starts_a_fresh_history() {
        let mut app = app();
        app.record(snap(1));
        app.selected = 3;
        let blocking = crate::scenario::load("blocking").unwrap();
        app.switched(&blocking, blocking.settings.clone());
        assert_eq!(app.info.scenario, "blocking");
        assert_eq!(app.settings.queue().unwrap().blocking_pct, 25);
        assert_eq!((app.selected, app.view().is_empty()), (0, true));
        assert!(app.explain.tokio.contains("spawn_blocking"));
    }
}
