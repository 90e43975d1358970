//! The default scenario, alone in its own test binary: a poll counts as long
//! by wall time, so a test burning CPU beside it could stretch a poll past
//! the threshold through the OS scheduler and make it fail for the wrong
//! reason.

#[path = "support/run.rs"]
mod run;

#[test]
fn the_default_queue_never_blocks_a_worker() {
    let ticks = run::json_lines(&["--duration", "10s"]);
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
