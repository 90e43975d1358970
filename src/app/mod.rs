//! The dashboard's state and how actions change it. Nothing here draws or
//! touches the runtime: `update` returns the effect for the caller to apply,
//! so the state is testable without a terminal or a workload.

mod action;
pub mod keys;

pub use action::Action;

use std::net::SocketAddr;
use std::time::Duration;

use crate::sampler::{History, Snapshot};
use crate::workload::{Knob, QueueSettings};

/// What the event loop must do outside the app after an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    SetKnob(Knob, u64),
    ResetStatistics,
}

/// What the header shows about the run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    pub workload: &'static str,
    pub workers: usize,
    pub tick: Duration,
    /// Where tokio-console can attach, if it can.
    pub console: Option<SocketAddr>,
}

#[derive(Clone, Debug)]
pub struct App {
    pub info: RunInfo,
    /// The knob values as last applied to the workload.
    pub settings: QueueSettings,
    pub selected: Knob,
    history: History,
    /// A copy of the history taken when the display was paused.
    frozen: Option<History>,
    pub show_help: bool,
    pub quit: bool,
}

impl App {
    pub fn new(info: RunInfo, settings: QueueSettings) -> Self {
        Self {
            info,
            settings,
            selected: Knob::ALL[0],
            history: History::default(),
            frozen: None,
            show_help: false,
            quit: false,
        }
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
        match action {
            Action::SelectPrevious => self.selected = self.step_selection(-1),
            Action::SelectNext => self.selected = self.step_selection(1),
            Action::Increase { big } | Action::Decrease { big } => {
                let knob = self.selected;
                let value = self.settings.get(knob);
                let next = if matches!(action, Action::Increase { .. }) {
                    knob.step_up(value, big)
                } else {
                    knob.step_down(value, big)
                };
                if next != value {
                    self.settings.set(knob, next);
                    return Some(Effect::SetKnob(knob, next));
                }
            }
            Action::TogglePause => {
                self.frozen = match self.frozen {
                    Some(_) => None,
                    None => Some(self.history.clone()),
                }
            }
            Action::ResetStatistics => {
                self.history.clear();
                if self.frozen.is_some() {
                    self.frozen = Some(History::default());
                }
                return Some(Effect::ResetStatistics);
            }
            Action::ToggleHelp => self.show_help = !self.show_help,
            Action::Quit => self.quit = true,
        }
        None
    }

    fn step_selection(&self, delta: isize) -> Knob {
        let n = Knob::ALL.len() as isize;
        let at = Knob::ALL
            .iter()
            .position(|k| *k == self.selected)
            .unwrap_or(0) as isize;
        Knob::ALL[(at + delta).rem_euclid(n) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> App {
        let info = RunInfo {
            workload: "queue",
            workers: 2,
            tick: Duration::from_millis(250),
            console: None,
        };
        App::new(info, QueueSettings::default())
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
        assert_eq!(app.selected, Knob::Producers);
        app.update(Action::SelectPrevious);
        assert_eq!(app.selected, Knob::StallThreshold);
        app.update(Action::SelectNext);
        app.update(Action::SelectNext);
        assert_eq!(app.selected, Knob::Consumers);
    }

    #[test]
    fn changing_a_knob_reports_the_new_value() {
        let mut app = app();
        assert_eq!(
            app.update(Action::Increase { big: false }),
            Some(Effect::SetKnob(Knob::Producers, 5))
        );
        assert_eq!(
            app.update(Action::Increase { big: true }),
            Some(Effect::SetKnob(Knob::Producers, 15))
        );
        assert_eq!(app.settings.producers, 15);
        app.settings.producers = 0;
        assert_eq!(
            app.update(Action::Decrease { big: false }),
            None,
            "already at the minimum"
        );
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
        app.update(Action::Quit);
        assert!(app.quit);
    }
}
