//! What tokio-console support costs, measured side by side in one run:
//!
//! (a) the same binary with and without `--console`, on the queue workload
//!     at full speed (one worker and two) and at its default settings;
//! (b) the default build against a `--no-default-features` build (no
//!     console-subscriber, no tokio `tracing` feature), which this bench
//!     compiles into target/no-console;
//! (c) the process's resident memory every 30 s for 150 s with `--console`
//!     (60 s retention) and a console client attached, beside a run without
//!     the console: it must level off once finished work starts to expire.
//!
//! `cargo bench --bench console_cost` (about ten minutes, with the build).

#[path = "support/stats.rs"]
mod stats;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use console_api::instrument::instrument_client::InstrumentClient;
use console_api::instrument::InstrumentRequest;
use nix::sys::resource::{getrusage, UsageWho};
use serde_json::Value;
use stats::{median, range};

const ROUNDS: usize = 5;
const RUN: &str = "4s";

/// The workloads each comparison runs: the full-speed queue (no waits, no
/// work) on one worker, where the figure is steady, and on two, where the
/// placement of tasks swings it by 2x; and the default settings.
fn workloads() -> [(&'static str, Vec<&'static str>); 3] {
    let full_speed = |workers| {
        let knobs = "--producers 2 --consumers 2 --capacity 1024 --produce-interval 0 --io-wait 0 --cpu-work 0";
        [vec!["--workers", workers], knobs.split(' ').collect()].concat()
    };
    [
        ("full speed, 1 worker", full_speed("1")),
        ("full speed, 2 workers", full_speed("2")),
        ("default settings", vec![]),
    ]
}

fn main() {
    let default_build = PathBuf::from(env!("CARGO_BIN_EXE_looptop"));
    let lean_build = build_without_console();
    let console = ["--console", "127.0.0.1:16669"];

    println!("(a) the default build with and without --console ({ROUNDS} rounds of {RUN})");
    for (label, workload) in workloads() {
        let with: Vec<&str> = workload.iter().chain(&console).copied().collect();
        compare(
            label,
            (&default_build, &workload),
            (&default_build, &with),
            "--console",
        );
    }
    println!();
    println!("(b) the default build against --no-default-features ({ROUNDS} rounds of {RUN})");
    for (label, workload) in workloads() {
        compare(
            label,
            (&lean_build, &workload),
            (&default_build, &workload),
            "default build",
        );
    }
    println!();
    println!("(c) resident memory at the default settings, with a console client attached");
    memory_with_console(&default_build, Duration::from_secs(150));
}

/// Alternating rounds of `base` and `other`; prints items/s, CPU and ratios.
fn compare(label: &str, base: (&PathBuf, &[&str]), other: (&PathBuf, &[&str]), other_name: &str) {
    let (mut base_runs, mut other_runs) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let order = if round % 2 == 0 {
            [false, true]
        } else {
            [true, false]
        };
        for is_other in order {
            if is_other {
                other_runs.push(run(other.0, other.1));
            } else {
                base_runs.push(run(base.0, base.1));
            }
        }
    }
    let items = |runs: &[Run]| median(&runs.iter().map(|r| r.items_per_s).collect::<Vec<_>>());
    let cpu = |runs: &[Run]| median(&runs.iter().map(|r| r.cpu_per_s).collect::<Vec<_>>());
    let ratios: Vec<f64> = base_runs
        .iter()
        .zip(&other_runs)
        .map(|(b, o)| o.items_per_s / b.items_per_s)
        .collect();
    let (lo, hi) = range(&ratios);
    println!(
        "  {label:<22} without: {:>9.0} items/s, {:>4.0} ms CPU/s   {other_name}: {:>9.0} items/s, {:>4.0} ms CPU/s   items ratio {:.3} (rounds {:.2}..{:.2})",
        items(&base_runs),
        cpu(&base_runs) * 1e3,
        items(&other_runs),
        cpu(&other_runs) * 1e3,
        median(&ratios),
        lo,
        hi,
    );
}

struct Run {
    items_per_s: f64,
    /// CPU seconds the whole process used per second of wall time.
    cpu_per_s: f64,
}

/// One headless run; the first tick is the warm-up and is left out.
fn run(binary: &PathBuf, args: &[&str]) -> Run {
    let before = children_cpu();
    let started = Instant::now();
    let out = Command::new(binary)
        .args([
            "--headless",
            "--format",
            "json",
            "--tick",
            "500ms",
            "--duration",
            RUN,
        ])
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .expect("run looptop");
    let wall = started.elapsed().as_secs_f64();
    assert!(out.status.success(), "looptop {args:?} failed");
    let ticks: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (first, last) = (&ticks[0], ticks.last().unwrap());
    let consumed = |t: &Value| t["queue"]["consumed_total"].as_f64().unwrap();
    let uptime = |t: &Value| t["uptime_s"].as_f64().unwrap();
    Run {
        items_per_s: (consumed(last) - consumed(first)) / (uptime(last) - uptime(first)),
        cpu_per_s: (children_cpu() - before) / wall,
    }
}

fn children_cpu() -> f64 {
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).unwrap();
    let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    secs(usage.user_time()) + secs(usage.system_time())
}

fn build_without_console() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = root.join("target/no-console");
    println!(
        "building looptop --no-default-features into {} ...",
        target.display()
    );
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "build",
            "--release",
            "--quiet",
            "--no-default-features",
            "--target-dir",
        ])
        .arg(&target)
        .current_dir(&root)
        .status()
        .expect("run cargo");
    assert!(status.success(), "cargo build --no-default-features failed");
    target.join("release/looptop")
}

fn memory_with_console(binary: &PathBuf, duration: Duration) {
    let addr = "127.0.0.1:16670";
    let spawn = |extra: &[&str]| {
        Command::new(binary)
            .args(["--headless", "--format", "text"])
            .args(extra)
            .stdout(Stdio::null())
            .spawn()
            .expect("start looptop")
    };
    let mut with = spawn(&["--console", addr]);
    let mut without = spawn(&[]);
    // A client that keeps reading updates, as tokio-console would.
    let client = thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let deadline = tokio::time::Instant::now() + duration;
            let mut client = loop {
                if let Ok(client) = InstrumentClient::connect(format!("http://{addr}")).await {
                    break client;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            let mut updates = client
                .watch_updates(InstrumentRequest {})
                .await
                .unwrap()
                .into_inner();
            let mut received = 0u64;
            while let Ok(Ok(Some(_))) = tokio::time::timeout_at(deadline, updates.message()).await {
                received += 1;
            }
            received
        })
    });
    let mut samples = Vec::new();
    let started = Instant::now();
    for at in (30..=duration.as_secs()).step_by(30) {
        thread::sleep(Duration::from_secs(at).saturating_sub(started.elapsed()));
        samples.push((at, rss_mib(with.id()), rss_mib(without.id())));
    }
    let updates = client.join().unwrap();
    for child in [&mut with, &mut without] {
        let _ = child.kill();
        let _ = child.wait();
    }
    println!("  (the client read {updates} updates)");
    println!("  after   with --console + client   without the console");
    for (at, with, without) in samples {
        println!("  {at:>4} s   {with:>10.1} MiB           {without:>8.1} MiB");
    }
}

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    kib / 1024.0
}
