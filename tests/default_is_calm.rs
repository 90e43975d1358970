//! The default scenario, alone in its own test binary: a poll counts as long
//! by wall time, so a test burning CPU beside it could stretch a poll past
//! the threshold through the OS scheduler and make it fail for the wrong
//! reason.

use std::process::{Command, Stdio};

use serde_json::Value;

#[test]
fn the_default_queue_never_blocks_a_worker() {
    let out = Command::new(env!("CARGO_BIN_EXE_looptop"))
        .args(["--headless", "--duration", "10s"])
        .stdin(Stdio::null())
        .output()
        .expect("run looptop");
    assert!(out.status.success());
    let ticks: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(ticks.len() >= 39, "{} ticks", ticks.len());
    for t in &ticks {
        let warnings = t["warnings"].as_array().unwrap();
        assert!(
            warnings.iter().all(|w| w["kind"] != "blocked_worker"),
            "tick {}: {warnings:?}",
            t["tick"]
        );
    }
}
