//! A program on stable tokio (built without `--cfg tokio_unstable`) can be
//! watched too, with fewer figures: those tokio counts only when unstable
//! come through as not measured (null, left out of `/metrics`), never as
//! zeros. The test builds `examples/watched.rs` that way, in a target
//! folder of its own (a few minutes the first time), and attaches to it.

#[path = "support/run.rs"]
mod run;

use std::path::{Path, PathBuf};
use std::process::Command;

/// `examples/watched.rs` built as a program on stable tokio would build
/// it: no `tokio_unstable`, and no warning allowed.
fn stable_example() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = root.join("target").join("stable");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let built = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "--no-default-features",
            "--example",
            "watched",
        ])
        .current_dir(root)
        // RUSTFLAGS, when set, replaces .cargo/config.toml's flags, and
        // with them `--cfg tokio_unstable`.
        .env("RUSTFLAGS", "-D warnings")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .expect("cargo runs");
    assert!(built.success(), "the library builds on stable tokio");
    target.join("debug").join("examples").join("watched")
}

#[test]
fn a_program_on_stable_tokio_shows_what_tokio_measures_and_no_more() {
    let (_program, announced, ticks) = run::attach_to(&stable_example(), "3s");
    assert!(ticks.len() >= 8, "{} ticks", ticks.len());
    for tick in &ticks {
        // Stable tokio counts these.
        assert_eq!(tick["runtime"]["workers"], 2);
        assert!(tick["runtime"]["alive_tasks"].as_u64().unwrap() >= 1);
        for worker in tick["workers"].as_array().unwrap() {
            assert!(worker["busy_ratio"].is_number(), "{worker}");
            assert!(worker["parks_per_s"].is_number(), "{worker}");
            for unmeasured in ["polls_per_s", "steals_per_s", "local_queue_depth"] {
                assert!(worker[unmeasured].is_null(), "{unmeasured}: {worker}");
            }
        }
        // These it does not.
        for unmeasured in [
            "/poll_times",
            "/schedule_delay",
            "/stalls",
            "/runtime/polls_per_s",
            "/runtime/spawned_per_s",
            "/runtime/completed_per_s",
            "/runtime/local_queue_depth",
            "/runtime/blocking_threads",
            "/runtime/idle_blocking_threads",
            "/runtime/blocking_queue_depth",
            "/runtime/forced_yields_per_s",
        ] {
            let figure = tick.pointer(unmeasured).unwrap();
            assert!(figure.is_null(), "{unmeasured} is {figure}");
        }
    }
    // The client keeps the workers polling and parking: parks are
    // tokio's own count, as is the busy time of a worker that parks.
    let parks: f64 = ticks
        .iter()
        .flat_map(|t| t["workers"].as_array().unwrap().clone())
        .map(|w| w["parks_per_s"].as_f64().unwrap())
        .sum();
    assert!(parks > 0.0, "the workers' parks are measured");
    let busy: f64 = ticks
        .iter()
        .map(|t| t["runtime"]["busy_ratio"].as_f64().unwrap())
        .sum();
    assert!(busy > 0.0, "the workers' busy time is measured");

    let addr = announced.parse().unwrap();
    let (status, _, metrics) = run::http(addr, "GET", "/metrics");
    assert_eq!(status, 200);
    assert!(metrics.contains("looptop_worker_busy_ratio{"), "{metrics}");
    assert!(metrics.contains("looptop_parks_total{"), "{metrics}");
    for left_out in [
        "looptop_polls_total",
        "looptop_steals_total",
        "looptop_poll_duration_seconds",
        "looptop_schedule_delay_seconds",
        "looptop_worker_blocked",
        "looptop_long_polls_last_minute",
        "looptop_local_queue_depth",
        "looptop_blocking_threads",
    ] {
        assert!(!metrics.contains(left_out), "{left_out} in {metrics}");
    }
}
