//! Key bindings: one table, used by the event loop and the help overlay.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::Action;

/// (keys, what they do) as the help overlay lists them.
pub const HELP: &[(&str, &str)] = &[
    ("↑ ↓  k j", "select a knob"),
    (
        "← →  h l  - +",
        "one step: ±1, one rung of the 1-2-5 ladder, next name",
    ),
    (
        "Shift + ← → / H L",
        "ten steps' worth: ±10, or ×10 ÷10 on the 1-2-5 ladder",
    ),
    ("d", "the selected knob back to its default"),
    ("s", "choose a scenario (↑↓, Enter)"),
    ("e", "explain the running scenario"),
    ("t", "task dump: where every task waits (↑↓, Enter)"),
    (
        "space",
        "pause the display (sampling goes on); in a replay, play or pause",
    ),
    ("paused: ← →", "a tick back or on in time; with Shift, 10 s"),
    ("[ ]", "paused: to where the previous or next warning began"),
    ("< >", "replay: slower or faster, 0.25x to 8x"),
    ("r", "reset statistics"),
    ("?", "show or hide this help"),
    ("Esc", "close what is open"),
    ("q  Ctrl-C", "quit"),
    ("Ctrl-Z", "suspend (fg to come back)"),
];

pub fn action_for(key: KeyEvent) -> Option<Action> {
    // Windows reports releases too; only presses act.
    if key.kind != KeyEventKind::Press {
        return None;
    }
    let shift = key.modifiers.contains(KeyModifiers::SHIFT);
    let action = match key.code {
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => Action::Quit,
        KeyCode::Char('z') if key.modifiers.contains(KeyModifiers::CONTROL) => Action::Suspend,
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Esc => Action::Cancel,
        KeyCode::Enter => Action::Confirm,
        KeyCode::Char('s') => Action::OpenPicker,
        KeyCode::Char('e') => Action::ToggleExplain,
        KeyCode::Char('t') => Action::TaskDump,
        KeyCode::Up | KeyCode::Char('k') => Action::SelectPrevious,
        KeyCode::Down | KeyCode::Char('j') => Action::SelectNext,
        KeyCode::Right | KeyCode::Char('+') => Action::Increase { big: shift },
        KeyCode::Left | KeyCode::Char('-') => Action::Decrease { big: shift },
        KeyCode::Char('l') => Action::Increase { big: false },
        KeyCode::Char('h') => Action::Decrease { big: false },
        KeyCode::Char('L') => Action::Increase { big: true },
        KeyCode::Char('H') => Action::Decrease { big: true },
        KeyCode::Char('d') => Action::DefaultKnob,
        KeyCode::Char(' ') => Action::TogglePause,
        KeyCode::Char('r') => Action::ResetStatistics,
        KeyCode::Char('?') => Action::ToggleHelp,
        KeyCode::Char('[') => Action::PreviousEvent,
        KeyCode::Char(']') => Action::NextEvent,
        KeyCode::Char('<') => Action::Slower,
        KeyCode::Char('>') => Action::Faster,
        _ => return None,
    };
    Some(action)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> Option<Action> {
        action_for(KeyEvent::new(code, modifiers))
    }

    #[test]
    fn arrows_and_vim_keys_map_alike() {
        let none = KeyModifiers::NONE;
        assert_eq!(press(KeyCode::Up, none), press(KeyCode::Char('k'), none));
        assert_eq!(press(KeyCode::Down, none), press(KeyCode::Char('j'), none));
        assert_eq!(
            press(KeyCode::Right, none),
            Some(Action::Increase { big: false })
        );
        assert_eq!(
            press(KeyCode::Char('+'), none),
            Some(Action::Increase { big: false })
        );
        assert_eq!(
            press(KeyCode::Char('h'), none),
            Some(Action::Decrease { big: false })
        );
    }

    #[test]
    fn shift_makes_big_steps() {
        assert_eq!(
            press(KeyCode::Right, KeyModifiers::SHIFT),
            Some(Action::Increase { big: true })
        );
        assert_eq!(
            press(KeyCode::Char('H'), KeyModifiers::SHIFT),
            Some(Action::Decrease { big: true })
        );
    }

    #[test]
    fn d_puts_the_knob_back_to_its_default() {
        assert_eq!(
            press(KeyCode::Char('d'), KeyModifiers::NONE),
            Some(Action::DefaultKnob)
        );
    }

    /// The step rule and the reset key are worded once: the README's key
    /// table says what the help overlay says.
    #[test]
    fn the_readme_states_the_steps_as_the_help_does() {
        let readme = include_str!("../../README.md");
        let steps = HELP
            .iter()
            .filter(|(keys, _)| keys.contains('←') || *keys == "d");
        assert_eq!(steps.clone().count(), 4);
        for (keys, what) in steps {
            assert!(
                readme.contains(&format!(" | {what} |")),
                "the README's key table lacks {what:?} ({keys})"
            );
        }
    }

    #[test]
    fn quit_keys_and_releases() {
        assert_eq!(
            press(KeyCode::Char('q'), KeyModifiers::NONE),
            Some(Action::Quit)
        );
        assert_eq!(
            press(KeyCode::Esc, KeyModifiers::NONE),
            Some(Action::Cancel)
        );
        assert_eq!(
            press(KeyCode::Char('c'), KeyModifiers::CONTROL),
            Some(Action::Quit)
        );
        let mut release = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        assert_eq!(action_for(release), None);
    }
}
