//! Closed-loop HTTP throughput: looptop's request workload against its
//! embedded site with no latency, side by side with `wrk` at the same
//! connection count against the same site, in alternating rounds.
//! Goal: looptop ≥ 0.9 of wrk.
//!
//! `cargo bench --bench http` (needs `wrk`: `apt install wrk`);
//! `-- --connections 64 --seconds 5 --rounds 5` to change the defaults.

#[path = "support/args.rs"]
mod args;
#[path = "support/stats.rs"]
mod stats;

use std::process::Command;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use looptop::runtime::{self, Instruments};
use looptop::stall::PollTracker;
use looptop::workload::knob::{defaults, LiveKnobs};
use looptop::workload::requests::knobs::*;
use looptop::workload::requests::server::Site;
use looptop::workload::requests::RequestsWorkload;
use stats::{median, range};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let option = |name: &str, default: u64| args::option(&args, name, default);
    let connections = option("--connections", 64);
    let seconds = option("--seconds", 5);
    let rounds = option("--rounds", 5) as usize;
    if Command::new("wrk").arg("--version").output().is_err() {
        println!("wrk not found: install it (apt install wrk) to run this benchmark");
        return;
    }
    let mut values = defaults(&REQUEST_KNOBS);
    values[SERVER_LATENCY] = 0;
    values[SERVER_JITTER] = 0;
    values[ERROR_RATE] = 0;
    values[CONCURRENCY] = connections;
    let site = Site::start(Arc::new(LiveKnobs::new(&REQUEST_KNOBS, &values))).unwrap();
    let url = format!("http://{}", site.addr());
    println!(
        "closed loop against the embedded site ({url}, no latency, 2000-byte pages), \
         {connections} connections, {rounds} rounds of {seconds}s"
    );
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let order = if round % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for looptop_first in order {
            if looptop_first {
                ours.push(looptop_rate(&url, &values, seconds));
            } else {
                theirs.push(wrk_rate(&url, connections, seconds));
            }
        }
        println!(
            "  round {}: looptop {:>8.0} req/s   wrk {:>8.0} req/s   ratio {:.3}",
            round + 1,
            ours[round],
            theirs[round],
            ours[round] / theirs[round]
        );
    }
    let ratios: Vec<f64> = ours.iter().zip(&theirs).map(|(o, t)| o / t).collect();
    let (lo, hi) = range(&ratios);
    println!(
        "  medians: looptop {:.0} req/s, wrk {:.0} req/s; looptop / wrk {:.3} (rounds {lo:.2}..{hi:.2}; goal >= 0.9)",
        median(&ours),
        median(&theirs),
        median(&ours) / median(&theirs)
    );
}

/// Answers per second of looptop's client on its instrumented runtime (two
/// workers, the histograms and stall tracking on, as the dashboard runs it).
fn looptop_rate(url: &str, values: &[u64], seconds: u64) -> f64 {
    let tracker = PollTracker::new(2, Duration::from_millis(10));
    let rt = runtime::build(2, Instruments::HistogramsAndStalls(tracker)).unwrap();
    let workload = RequestsWorkload::start(rt.handle(), values, Some(url)).unwrap();
    thread::sleep(Duration::from_millis(500));
    let (start, at) = (workload.counters().ok, Instant::now());
    thread::sleep(Duration::from_secs(seconds));
    let rate = (workload.counters().ok - start) as f64 / at.elapsed().as_secs_f64();
    drop(workload);
    rt.shutdown_background();
    rate
}

/// wrk's "Requests/sec" with two threads at this many connections.
fn wrk_rate(url: &str, connections: u64, seconds: u64) -> f64 {
    let out = Command::new("wrk")
        .args(["-t2", &format!("-c{connections}"), &format!("-d{seconds}s")])
        .arg(format!("{url}/"))
        .output()
        .expect("run wrk");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Requests/sec in wrk's output:\n{text}"))
}
