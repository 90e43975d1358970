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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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
        "many-tasks",
        include_str!("../../assets/scenarios/many-tasks.toml"),
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
    let error = |message: String| ScenarioError {
        origin: name_or_path.to_string(),
        line: None,
        message,
    };
    let text = read_capped(path).map_err(error)?;
    parse(&text, name_or_path)
}

/// A scenario file is a few hundred bytes; past this it is not one.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The file's text, if it is a regular file of at most `MAX_FILE_BYTES`.
/// Checked before it is opened: opening a FIFO waits for a writer, and
/// /dev/zero never ends.
fn read_capped(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let metadata = std::fs::metadata(path).map_err(|e| format!("cannot read it: {e}"))?;
    if !metadata.is_file() {
        return Err("not a regular file (a scenario is a .toml file)".to_string());
    }
    let too_big = || {
        format!(
            "larger than the {} KiB a scenario file may be",
            MAX_FILE_BYTES / 1024
        )
    };
    if metadata.len() > MAX_FILE_BYTES {
        return Err(too_big());
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_FILE_BYTES + 1).read_to_string(&mut text))
        .map_err(|e| format!("cannot read it: {e}"))?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
    Ok(text)
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

    #[cfg(unix)]
    #[test]
    fn what_is_not_a_small_regular_file_is_refused_without_waiting() {
        let dir = std::env::temp_dir().join(format!("looptop-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("fifo.toml");
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo reads the path only.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let refused = |path: &Path| load(path.to_str().unwrap()).unwrap_err().message;
        assert!(refused(&fifo).contains("not a regular file"));
        assert!(refused(Path::new("/dev/zero")).contains("not a regular file"));
        let big = dir.join("big.toml");
        std::fs::write(&big, "#".repeat(MAX_FILE_BYTES as usize + 1)).unwrap();
        assert!(
            refused(&big).contains("larger than the 1024 KiB"),
            "{}",
            refused(&big)
        );
        let _ = std::fs::remove_dir_all(&dir);
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
