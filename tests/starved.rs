//! The dashboard against a workload that asks for far more cores than the
//! machine has: up to 2,000 threads, each computing a second at a time. Alone in
//! its test binary, as it loads the whole machine.

// Uses only the pseudo-terminal part of the support code.
#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant};

use support::pty::{number_after, Tui};

/// A thread's name, nice value and scheduling policy, from /proc.
fn threads_of(pid: i32) -> Vec<(String, i64, i64, i32)> {
    let mut threads = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let path = task.unwrap().path();
        let (Ok(comm), Ok(stat)) = (
            std::fs::read_to_string(path.join("comm")),
            std::fs::read_to_string(path.join("stat")),
        ) else {
            continue; // ended meanwhile
        };
        // Fields after the name in parentheses, from field 3 on.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .unwrap()
            .1
            .split_whitespace()
            .collect();
        let tid = path.file_name().unwrap().to_str().unwrap().parse().unwrap();
        let (nice, policy) = (fields[16].parse().unwrap(), fields[38].parse().unwrap());
        threads.push((comm.trim().to_string(), nice, policy, tid));
    }
    threads
}

#[test]
fn keys_reach_the_screen_while_thousands_of_threads_compute() {
    let dir = std::env::temp_dir().join(format!("looptop-starved-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("starve.toml");
    std::fs::write(
        &file,
        "[threads-vs-tasks]\njobs = 2000\nwait = \"10ms\"\ncpu = \"1s\"\nthreads_via = \"std::thread\"\n",
    )
    .unwrap();
    let mut tui = Tui::start(&["--scenario", file.to_str().unwrap()], 120, 40);
    // Hundreds of them computing: starting threads slows down as they do.
    tui.wait_for("hundreds of job threads running", |s| {
        number_after(s, "process:").is_some_and(|n| n >= 300.0)
    });

    // The dashboard's thread is above every thread the workload made:
    // real-time where the OS allows it (as it does root), else with the
    // workload's threads at the lowest priority.
    let pid = tui.pid();
    // The screen counts every thread of the process, the dashboard's own
    // too: wait for 300 of the workload's by name.
    let named = |threads: &[(String, i64, i64, i32)]| {
        threads
            .iter()
            .filter(|(name, ..)| name.starts_with("looptop-"))
            .count()
    };
    let deadline = Instant::now() + support::pty::PATIENCE;
    let mut threads = threads_of(pid);
    while named(&threads) < 300 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        threads = threads_of(pid);
    }
    let workload: Vec<_> = threads
        .iter()
        .filter(|(name, ..)| name.starts_with("looptop-"))
        .collect();
    assert!(workload.len() >= 300, "{} workload threads", workload.len());
    // Whether the OS granted real-time is the OS's to say (root in a
    // container may lack the privilege, a user may have it by ulimit -r).
    let (_, nice, policy, _) = threads.iter().find(|t| t.3 == pid).unwrap();
    let real_time = *policy == libc::SCHED_RR as i64;
    assert!(*nice <= 0, "the dashboard's thread, never lowered");
    let workload_nice = if real_time { 0 } else { 19 };
    for (name, nice, policy, _) in &workload {
        assert_eq!((*nice, *policy), (workload_nice, 0), "{name}");
    }

    // Before, with every thread at one priority, a key took 6 to 15 s to
    // reach the screen; as real-time the dashboard's thread waits for no
    // core (without it, keys can still take seconds: the README says so).
    for _ in 0..3 {
        let sent = Instant::now();
        tui.send("?");
        tui.wait_for("the help", |s| s.contains("┌ Keys"));
        let shown = sent.elapsed();
        assert!(
            !real_time || shown < Duration::from_secs(3),
            "help shown after {shown:?}"
        );
        tui.send("\x1b");
        tui.wait_for("the help closed", |s| !s.contains("┌ Keys"));
    }
    // The tasks' side computes too, with its workers starved of a core by
    // the job threads: runnable, not asleep, whatever their CPU share.
    let told = tui.wait_for("a worker in a long poll, told computing", |s| {
        s.lines()
            .any(|l| l.contains("│w0 ") && l.contains("computing"))
            || s.lines()
                .any(|l| l.contains("│w1 ") && l.contains("computing"))
    });
    assert!(!told.contains("blocked"), "{told}");
    tui.send("q");
    assert!(tui.wait_exit().success());
    std::fs::remove_dir_all(dir).ok();
}
