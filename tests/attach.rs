//! `--serve` and `looptop attach`: one looptop serving, another attached
//! to it, both the real binary; the endpoint's reads, its Prometheus text,
//! and what the attacher says when the other side is gone or is not
//! looptop.

#[path = "support/run.rs"]
mod run;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// A headless looptop serving on `addr` (port 0: any), and the address it
/// says it serves on.
fn serve(addr: &str, args: &[&str]) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_looptop"))
        .args(["--headless", "--format", "text", "--serve", addr])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let served = run::announced(child.stderr.take().unwrap(), "looptop: serving on ");
    (child, served.parse().unwrap())
}

fn attach(addr: SocketAddr, seconds: &str) -> (Vec<Value>, String) {
    run::attach_headless(&addr.to_string(), seconds)
}

/// The status and the body of `method path`.
fn http(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
    let (status, _, body) = run::http(addr, method, path);
    (status, body)
}

#[test]
fn attached_it_sees_the_served_runs_workers_and_the_task_that_blocks_one() {
    let (mut served, addr) = serve("127.0.0.1:0", &["--scenario", "blocking", "--workers", "2"]);
    let (ticks, _) = attach(addr, "3s");
    served.kill().unwrap();
    served.wait().unwrap();
    assert!(ticks.len() >= 8, "{} ticks", ticks.len());
    for tick in &ticks {
        assert_eq!(tick["runtime"]["workers"], 2);
        assert_eq!(tick["workers"].as_array().unwrap().len(), 2);
    }
    // The blocking consumer, named with where it was spawned.
    let culprit = ticks
        .iter()
        .flat_map(|t| t["stalls"]["culprits"].as_array().unwrap().clone())
        .find(|c| c["task"].as_str().unwrap().starts_with("consumer-"))
        .expect("a consumer among the long polls");
    assert!(
        culprit["location"]
            .as_str()
            .unwrap()
            .starts_with("src/workload/queue/mod.rs:"),
        "{culprit}"
    );
}

#[test]
fn the_endpoint_serves_prometheus_text_and_reads_only() {
    let (mut served, addr) = serve("127.0.0.1:0", &[]);
    std::thread::sleep(Duration::from_millis(1_500));
    let (status, metrics) = http(addr, "GET", "/metrics");
    let (post, _) = http(addr, "POST", "/looptop/v1/info");
    let (missing, _) = http(addr, "GET", "/elsewhere");
    served.kill().unwrap();
    served.wait().unwrap();
    assert_eq!((status, post, missing), (200, 405, 404));
    for line in [
        "# TYPE looptop_worker_busy_ratio gauge",
        "looptop_worker_busy_ratio{worker=\"1\"}",
        "# TYPE looptop_poll_duration_seconds histogram",
        "looptop_poll_duration_seconds_bucket{le=\"+Inf\"}",
        "looptop_polls_total{worker=\"0\"}",
        "looptop_alive_tasks ",
        "# EOF",
    ] {
        assert!(metrics.contains(line), "no {line:?} in\n{metrics}");
    }
    let count = |name: &str| -> f64 {
        let line = metrics.lines().find(|l| l.starts_with(name)).unwrap();
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let polls = count("looptop_poll_duration_seconds_count");
    assert!(polls > 100.0, "{polls} polls");
    assert_eq!(
        count("looptop_poll_duration_seconds_bucket{le=\"+Inf\"}"),
        polls
    );
}

#[test]
fn the_attacher_says_when_the_run_is_gone_and_follows_it_when_it_is_back() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let (mut first, served) = serve(&addr, &[]);
    let attacher = std::thread::spawn(move || attach(served, "7s"));
    std::thread::sleep(Duration::from_secs(2));
    first.kill().unwrap();
    first.wait().unwrap();
    std::thread::sleep(Duration::from_millis(1_500));
    let (mut second, _) = serve(&addr, &[]);
    let (ticks, stderr) = attacher.join().unwrap();
    second.kill().unwrap();
    second.wait().unwrap();
    assert!(
        stderr.contains(&format!("{addr}: ")) && stderr.contains("trying again"),
        "{stderr}"
    );
    assert!(
        stderr.lines().all(|l| l.starts_with("looptop: ")),
        "one line each: {stderr}"
    );
    // Ticks of the first run, then of the second, which counts from 1.
    let restarted = ticks
        .windows(2)
        .position(|w| w[1]["tick"].as_u64() < w[0]["tick"].as_u64())
        .expect("the second run's ticks");
    assert!(restarted >= 4, "the first run's ticks first: {restarted}");
    assert!(ticks.len() - restarted >= 4, "and the second's after");
}

#[test]
fn a_peer_that_is_not_looptop_and_a_bad_address_are_one_line_each() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let peer = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.read(&mut [0; 4096]);
            let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
        }
    });
    let (ticks, stderr) = attach(peer, "1500ms");
    assert!(ticks.is_empty());
    assert_eq!(stderr.lines().count(), 1, "said once: {stderr}");
    assert!(stderr.contains("not a looptop endpoint"), "{stderr}");

    let out = run::looptop(&["attach", "localhost:port", "--headless"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("127.0.0.1:6669") || stderr.contains("IP address"),
        "{stderr}"
    );
}
