//! The library watching a program of its own: `examples/watched.rs` (built
//! by `cargo test` with the other examples) serves its runtime's figures,
//! and `looptop attach --headless` reads them.

#[path = "support/run.rs"]
mod run;

use std::path::PathBuf;

/// `target/<profile>/examples/watched`, beside this test's own binary.
fn example() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().unwrap().parent().unwrap();
    profile.join("examples").join("watched")
}

#[test]
fn attached_to_the_example_it_sees_two_workers_and_the_handler_that_blocks_one() {
    // cargo test builds examples/watched.rs.
    let (_program, _, ticks) = run::attach_to(&example(), "5s");
    assert!(ticks.len() >= 12, "{} ticks", ticks.len());
    for tick in &ticks {
        assert_eq!(tick["runtime"]["workers"], 2, "the example's two workers");
        assert_eq!(tick["workers"].as_array().unwrap().len(), 2);
    }
    // /report sleeps 200 ms in its handler, every 2 s: long polls, by the
    // line that spawned the connection's task, and a blocked worker.
    let located = ticks
        .iter()
        .flat_map(|t| t["stalls"]["culprits"].as_array().unwrap().clone())
        .find(|c| {
            c["location"]
                .as_str()
                .unwrap()
                .starts_with("examples/watched.rs:")
        })
        .expect("the blocking handler among the long polls");
    assert!(
        located["longest_us"].as_f64().unwrap() >= 150_000.0,
        "{located}"
    );
    let warned = ticks.iter().any(|t| {
        t["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["kind"] == "blocked_worker")
    });
    assert!(warned, "a blocked worker is warned of");
}
