//! Integration tests of headless mode and of start-up errors: the real binary,
//! its stdout parsed as a script would.

#[path = "support/run.rs"]
mod run;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use run::{json_lines, looptop};
use serde_json::Value;

fn f(v: &Value, path: &str) -> f64 {
    v.pointer(path)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("missing number {path} in {v}"))
}

#[test]
fn json_has_one_plausible_object_per_tick() {
    let ticks = json_lines(&["--duration", "2s", "--tick", "100ms", "--workers", "3"]);
    assert!(
        (18..=20).contains(&ticks.len()),
        "2 s of 100 ms ticks gave {}",
        ticks.len()
    );
    let (mut last_produced, mut last_consumed) = (0.0, 0.0);
    for t in &ticks {
        // A tick's rate is its count over its interval, as the totals say.
        let produced = f(t, "/queue/produced_total");
        let consumed = f(t, "/queue/consumed_total");
        for (rate, count) in [
            ("/queue/produced_per_s", produced - last_produced),
            ("/queue/consumed_per_s", consumed - last_consumed),
        ] {
            let counted = f(t, rate) * f(t, "/interval_s");
            assert!(
                (counted - count).abs() < 0.5,
                "{rate} {counted} vs {count}: {t}"
            );
        }
        (last_produced, last_consumed) = (produced, consumed);
        assert!(
            f(t, "/queue/depth") <= f(t, "/queue/capacity"),
            "depth above capacity: {t}"
        );
        assert_eq!(f(t, "/queue/capacity"), 64.0);
        assert_eq!(f(t, "/runtime/workers"), 3.0);
        let workers = t["workers"].as_array().unwrap();
        assert_eq!(workers.len(), 3);
        // The runtime's busy share is the workers' mean, as both panes show.
        let mean: f64 = workers.iter().map(|w| f(w, "/busy_ratio")).sum::<f64>() / 3.0;
        assert!((f(t, "/runtime/busy_ratio") - mean).abs() < 1e-9, "{t}");
        let (p50, p90, p99, max) = (
            f(t, "/poll_times/p50_us"),
            f(t, "/poll_times/p90_us"),
            f(t, "/poll_times/p99_us"),
            f(t, "/poll_times/max_us"),
        );
        assert!(
            p50 <= p90 && p90 <= p99 && p99 <= max,
            "percentiles out of order: {t}"
        );
        let (s50, s99, smax) = (
            f(t, "/schedule_delay/p50_us"),
            f(t, "/schedule_delay/p99_us"),
            f(t, "/schedule_delay/max_us"),
        );
        assert!(
            s50 <= s99 && s99 <= smax,
            "scheduling delay out of order: {t}"
        );
        assert!(
            f(t, "/runtime/alive_tasks") >= 8.0,
            "4 producers + 4 consumers: {t}"
        );
    }
    let last = ticks.last().unwrap();
    assert!(f(last, "/uptime_s") >= 1.99, "{last}");
    assert!(f(last, "/queue/produced_total") > 0.0 && f(last, "/queue/consumed_total") > 0.0);
    assert!(f(last, "/poll_times/count") + f(&ticks[ticks.len() - 2], "/poll_times/count") > 0.0);
}

#[test]
fn knob_flags_shape_the_workload() {
    // Nobody consumes: the queue fills to its capacity and stays there.
    let ticks = json_lines(&[
        "--duration",
        "1s",
        "--tick",
        "100ms",
        "--consumers",
        "0",
        "--capacity",
        "10",
        "--produce-interval",
        "0",
    ]);
    let last = ticks.last().unwrap();
    assert_eq!(f(last, "/queue/depth"), 10.0);
    assert_eq!(f(last, "/queue/capacity"), 10.0);
    assert_eq!(f(last, "/queue/consumed_total"), 0.0);
    assert_eq!(f(last, "/queue/consumers"), 0.0);
    assert!(ticks.iter().all(|t| f(t, "/queue/depth") <= 10.0));
}

#[test]
fn cpu_work_shows_in_worker_busy_time_and_poll_times() {
    // Each item costs 2 ms of computation after a short await: a poll of
    // about 2 ms for every item (the other polls, receiving it and starting
    // the await, are short), busy workers. (With no await per item a
    // consumer would run 128 items in one poll, and tokio publishes worker
    // metrics only between polls.)
    let ticks = json_lines(&[
        "--duration",
        "1500ms",
        "--tick",
        "250ms",
        "--cpu-work",
        "2ms",
        "--io-wait",
        "1ms",
        "--produce-interval",
        "0",
    ]);
    let last = ticks.last().unwrap();
    assert!(f(last, "/poll_times/p90_us") >= 1_500.0, "{last}");
    // Every poll counted once, by the same hooks, in both figures.
    let polls = f(last, "/runtime/polls_per_s") * f(last, "/interval_s");
    let timed = f(last, "/poll_times/count");
    assert!(
        (polls - timed).abs() <= 0.01 * timed + 2.0,
        "{polls} polls, {timed} timed"
    );
    assert!(f(last, "/poll_times/slow") > 0.0);
    assert!(f(last, "/runtime/busy_ratio") > 0.5, "{last}");
}

#[test]
fn tasks_waiting_behind_long_polls_show_as_scheduling_delay() {
    // One worker, four consumers each computing 5 ms per item: a woken task
    // waits behind the others' polls. The same without the computation barely
    // waits at all.
    let median_p99 = |cpu_work: &str| {
        let ticks = json_lines(&[
            "--duration",
            "2s",
            "--tick",
            "250ms",
            "--workers",
            "1",
            "--io-wait",
            "1ms",
            "--cpu-work",
            cpu_work,
        ]);
        let mut p99: Vec<f64> = ticks
            .iter()
            .map(|t| f(t, "/schedule_delay/p99_us"))
            .collect();
        p99.sort_by(f64::total_cmp);
        p99[p99.len() / 2]
    };
    let blocked = median_p99("5ms");
    let free = median_p99("0");
    assert!(blocked >= 5_000.0, "p99 {blocked} µs behind 5 ms polls");
    assert!(
        free * 4.0 < blocked,
        "p99 {free} µs without the work, {blocked} µs with it"
    );
}

#[test]
fn text_format_prints_a_readable_summary() {
    let out = looptop(&["--headless", "--format", "text", "--duration", "1s"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "looptop summary: scenario queue",
        "depth mean",
        "produced",
        "busy w0",
        "p99",
        "longest wait",
        "alive at the end",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn a_reader_that_goes_away_ends_the_run_cleanly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_looptop"))
        .args(["--headless", "--tick", "50ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with('{'));
    // stdout is now closed; the next write fails and looptop must stop quietly.
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The dashboard started with this `TERM` and no terminal: its exit code
/// and what it said.
fn dashboard_with_term(term: &str) -> (Option<i32>, String, Vec<u8>) {
    let out = Command::new(env!("CARGO_BIN_EXE_looptop"))
        .env("TERM", term)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    (out.status.code(), err, out.stdout)
}

#[test]
fn without_a_terminal_or_headless_it_says_what_to_do() {
    // A terminal type that could draw, so only the missing terminal stops it.
    let (code, err, _) = dashboard_with_term("xterm-256color");
    assert_eq!(code, Some(2));
    assert!(
        err.contains("not a terminal") && err.contains("--headless"),
        "{err}"
    );
}

#[test]
fn a_signal_ends_a_headless_run_with_the_dashboards_exit_code() {
    for signal in [libc::SIGTERM, libc::SIGUSR1, libc::SIGQUIT] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_looptop"))
            .args(["--headless", "--format", "json"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        // The first tick says it is up, its signal handlers in place.
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        assert!(first.starts_with('{'), "{first}");
        // SAFETY: kill only sends a signal to our own child.
        assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(128 + signal), "signal {signal}");
    }
}

#[test]
fn a_dumb_terminal_gets_no_dashboard_but_a_line_saying_why() {
    let (code, err, stdout) = dashboard_with_term("dumb");
    assert_eq!(code, Some(2));
    assert!(
        err.contains("TERM=dumb") && err.contains("--headless"),
        "{err}"
    );
    assert!(stdout.is_empty(), "no escape codes");
}

#[test]
fn bad_flags_exit_2_with_one_line_and_no_panic() {
    for args in [
        &["--workers", "0"][..],
        &["--workers", "many"][..],
        &["--producers", "1025"][..],
        &["--capacity", "2000000"][..],
        &["--tick", "1h"][..],
        &["--cpu-work", "-5ms"][..],
        &["--producers", "-1"][..],
        &["--format", "xml", "--headless"][..],
        &["--no-such-flag"][..],
    ] {
        let out = looptop(args);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("looptop: ") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
        assert!(err.contains(args[0]), "the message names the flag: {err}");
    }
}

#[test]
fn log_goes_to_the_file_and_only_there() {
    let dir = std::env::temp_dir().join(format!("looptop-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("looptop.log");
    let out = looptop(&[
        "--headless",
        "--format",
        "text",
        "--duration",
        "500ms",
        "--log",
        log.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let written = std::fs::read_to_string(&log).unwrap();
    assert!(
        written.contains("INFO") && written.contains("starting"),
        "{written}"
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8(out.stdout).unwrap().contains("starting"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_unwritable_log_file_is_a_clear_start_up_error() {
    let out = looptop(&[
        "--headless",
        "--duration",
        "1s",
        "--log",
        "/nonexistent-dir/looptop.log",
    ]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent-dir/looptop.log"), "{err}");
}

/// The line of src/workload/queue/mod.rs that spawns the consumers.
fn consumer_spawn_line() -> String {
    let source = include_str!("../src/workload/queue/mod.rs");
    let line = source
        .lines()
        .position(|l| l.contains("consume(shared.clone()"))
        .expect("queue/mod.rs spawns consumers");
    format!("src/workload/queue/mod.rs:{}", line + 1)
}

#[test]
fn blocking_consumers_raise_a_warning_naming_task_and_spawn_line() {
    let ticks = json_lines(&["--duration", "3s", "--blocking", "50", "--io-wait", "20ms"]);
    let warning = ticks
        .iter()
        .flat_map(|t| t["warnings"].as_array().unwrap())
        .find(|w| w["kind"] == "blocked_worker")
        .expect("a blocked_worker warning");
    let message = warning["message"].as_str().unwrap();
    assert!(message.contains("by consumer-"), "{message}");
    assert!(message.contains(&consumer_spawn_line()), "{message}");
    let last = ticks.last().unwrap();
    assert_eq!(
        last["stalls"]["culprits"][0]["location"],
        consumer_spawn_line().as_str()
    );
    assert!(f(last, "/stalls/threshold_us") == 10_000.0);
}
