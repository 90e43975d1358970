//! Everything a user can ask of the dashboard.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    SelectPrevious,
    SelectNext,
    /// Raise the selected knob; `big` with Shift.
    Increase {
        big: bool,
    },
    Decrease {
        big: bool,
    },
    /// Put the selected knob back to its default.
    DefaultKnob,
    TogglePause,
    ResetStatistics,
    ToggleHelp,
    ToggleExplain,
    OpenPicker,
    /// Take a task dump and show it (again, when one is shown).
    TaskDump,
    /// Enter: switch to the scenario chosen in the picker.
    Confirm,
    /// Esc: close what is open; with nothing open it does nothing (a
    /// second Esc meant for a panel must not quit).
    Cancel,
    Quit,
    /// Ctrl-Z: give the terminal back and stop, as full-screen programs do
    /// (the terminal loop does it; the app state has nothing to change).
    Suspend,
    /// Paused or replaying: to the tick where the previous (next) warning
    /// began.
    PreviousEvent,
    NextEvent,
    /// Replaying: play slower, or faster.
    Slower,
    Faster,
}
