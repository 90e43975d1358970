//! Running the real binary to completion, as a script would: its output,
//! and its JSON lines parsed.

// Each test binary that includes this uses what it needs of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub fn looptop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_looptop"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run looptop")
}

/// A headless run's ticks; the run must succeed.
pub fn json_lines(args: &[&str]) -> Vec<Value> {
    let out = looptop(&[&["--headless", "--format", "json"], args].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// A built-in scenario's file with some of its lines replaced, written to
/// a folder of this test process's own; returns its path.
pub fn scenario_file(built_in: &str, name: &str, replacements: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("looptop-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut scenario =
        std::fs::read_to_string(format!("assets/scenarios/{built_in}.toml")).unwrap();
    for (from, to) in replacements {
        assert!(scenario.contains(from), "{built_in}.toml has no `{from}`");
        scenario = scenario.replace(from, to);
    }
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(&file, scenario).unwrap();
    file
}
