//! Scenarios: the asyncio tutorial's ideas as ready-made runs. Each is a
//! TOML file naming the workloads to run, their knob values and an
//! explanation; the built-in ones live in `assets/scenarios/` and are
//! compiled into the binary.

mod parse;

use std::path::Path;

pub use parse::{parse, ScenarioError};

use crate::settings::Settings;

#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: String,
    /// One line for `looptop scenarios` and the picker.
    pub summary: String,
    pub explain: Explain,
    pub settings: Settings,
}

/// The explanation panel's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explain {
    /// What the scenario models.
    pub models: String,
    /// The asyncio idea it corresponds to...
    pub asyncio: String,
    /// ...and its tokio equivalent.
    pub tokio: String,
    /// What to try with the knobs.
    pub try_this: String,
    /// What to watch, in which pane.
    pub watch: String,
}

/// The built-in scenario files, in the order they are listed.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("queue", include_str!("../../assets/scenarios/queue.toml")),
    (
        "blocking",
        include_str!("../../assets/scenarios/blocking.toml"),
    ),
    (
        "cpu-bound",
        include_str!("../../assets/scenarios/cpu-bound.toml"),
    ),
    ("chain", include_str!("../../assets/scenarios/chain.toml")),
    (
        "timeouts",
        include_str!("../../assets/scenarios/timeouts.toml"),
    ),
    (
        "threads-vs-tasks",
        include_str!("../../assets/scenarios/threads-vs-tasks.toml"),
    ),
    (
        "requests",
        include_str!("../../assets/scenarios/requests.toml"),
    ),
    ("mixed", include_str!("../../assets/scenarios/mixed.toml")),
];

/// The scenario a run starts with when none is given.
pub const DEFAULT: &str = "queue";

/// Every built-in scenario. They are checked by the tests, so a failure
/// here is a bug in a file shipped with looptop.
pub fn built_in() -> Result<Vec<Scenario>, ScenarioError> {
    BUILT_IN
        .iter()
        .map(|(name, text)| parse(text, &format!("built-in scenario {name}")))
        .collect()
}

/// A built-in scenario by name, or a scenario file by path.
pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
    if let Some((name, text)) = BUILT_IN.iter().find(|(name, _)| *name == name_or_path) {
        return parse(text, &format!("built-in scenario {name}"));
    }
    let path = Path::new(name_or_path);
    let looks_like_a_path = name_or_path.contains(['/', '.']) || path.exists();
    if !looks_like_a_path {
        let names: Vec<&str> = BUILT_IN.iter().map(|(name, _)| *name).collect();
        return Err(ScenarioError {
            origin: name_or_path.to_string(),
            line: None,
            message: format!(
                "no such scenario; built in: {} (or give the path of a .toml file)",
                names.join(", ")
            ),
        });
    }
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        origin: name_or_path.to_string(),
        line: None,
        message: format!("cannot read it: {e}"),
    })?;
    parse(&text, name_or_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_parses_under_its_own_name() {
        let scenarios = built_in().unwrap();
        assert_eq!(scenarios.len(), BUILT_IN.len());
        for (scenario, (name, _)) in scenarios.iter().zip(BUILT_IN) {
            assert_eq!(&scenario.name, name);
            assert!(!scenario.settings.workloads().is_empty(), "{name}");
            let e = &scenario.explain;
            for text in [&e.models, &e.asyncio, &e.tokio, &e.try_this, &e.watch] {
                assert_ne!(text, parse::NOT_WRITTEN, "{name} explains itself in full");
            }
        }
        assert_eq!(load(DEFAULT).unwrap().name, DEFAULT);
    }

    #[test]
    fn a_file_of_only_its_workload_runs_with_the_defaults_of_the_rest() {
        let scenario = parse::parse("[queue]\nproducers = 8\n", "/tmp/mine.toml").unwrap();
        assert_eq!(scenario.name, "mine");
        assert_eq!(scenario.summary, "from /tmp/mine.toml");
        assert_eq!(scenario.explain.watch, parse::NOT_WRITTEN);
        let expected = crate::workload::QueueSettings {
            producers: 8,
            ..Default::default()
        };
        assert_eq!(scenario.settings, Settings::for_queue(expected));
    }

    #[test]
    fn the_default_scenario_is_the_queue_at_its_defaults() {
        let queue = load("queue").unwrap();
        assert_eq!(
            queue.settings,
            Settings::for_queue(crate::workload::QueueSettings::default())
        );
    }
}
