//! Closed-loop HTTP throughput: looptop's request workload side by side
//! with `wrk` at the same connection count against the same server, in
//! alternating rounds, with one client thread and with two (looptop's
//! workers, wrk's `-t`); first against the embedded site with no latency,
//! then against nginx on loopback, the same 2000-byte page. Each tool's
//! maximum is its better thread count. Goal: looptop ≥ 0.9 of wrk.
//!
//! `cargo bench --bench http` (needs `wrk` and, for the second, nginx:
//! `apt install wrk nginx-light`);
//! `-- --connections 64 --seconds 5 --rounds 5` to change the defaults.

#[path = "support/args.rs"]
mod args;
#[path = "../tests/support/nginx.rs"]
mod nginx;
#[path = "support/stats.rs"]
mod stats;

use std::process::Command;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use looptop::runtime::{self, Instruments};
use looptop::stall::PollTracker;
use looptop::workload::contract::Counted;
use looptop::workload::knob::{defaults, LiveKnobs};
use looptop::workload::requests::knobs::*;
use looptop::workload::requests::server::Site;
use looptop::workload::requests::{RequestsWorkload, Target};
use nginx::Nginx;
use stats::{median, range};

/// Client threads tried: the site takes a core of its own, so on a small
/// machine one client thread can beat two.
const THREADS: [usize; 2] = [1, 2];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let option = |name: &str, default: u64| args::option(&args, name, default);
    let run = Comparison {
        connections: option("--connections", 64),
        seconds: option("--seconds", 5),
        rounds: option("--rounds", 5) as usize,
    };
    if Command::new("wrk").arg("--version").output().is_err() {
        println!(
            "SKIPPED: the HTTP benchmark measured nothing, because wrk is not installed \
             (apt-get install wrk, then run it again)"
        );
        return;
    }
    let mut values = defaults(&REQUEST_KNOBS);
    values[SERVER_LATENCY] = 0;
    values[SERVER_JITTER] = 0;
    values[ERROR_RATE] = 0;
    values[CONCURRENCY] = run.connections;
    let site = Site::start(Arc::new(LiveKnobs::new(&REQUEST_KNOBS, &values))).unwrap();
    let url = format!("http://{}/", site.addr());
    run.compare(
        &format!("the embedded site ({url}, no latency, 2000-byte pages)"),
        &url,
        &values,
    );
    drop(site);
    // The same page from a real server: nginx, one worker process, as the
    // embedded site has one thread.
    let Some(nginx) = Nginx::start(false) else {
        println!("SKIPPED: nginx is not installed (apt-get install nginx-light)");
        return;
    };
    let page = looptop::workload::requests::site::render(0, 1, 0, 2_000);
    nginx.add_page("bench.html", &page);
    let url = nginx.url("bench.html");
    run.compare(
        &format!("nginx ({url}, one worker process, a 2000-byte page)"),
        &url,
        &values,
    );
}

/// Rounds of looptop's closed loop and wrk against one server.
struct Comparison {
    connections: u64,
    seconds: u64,
    rounds: usize,
}

impl Comparison {
    /// Prints each round and the medians: looptop's rate against wrk's.
    fn compare(&self, server: &str, url: &str, values: &[u64]) {
        let Comparison {
            connections,
            seconds,
            rounds,
        } = *self;
        println!(
            "closed loop against {server}, {connections} connections, \
             {rounds} rounds of {seconds}s per tool and thread count"
        );
        // [thread count][round]
        let (mut ours, mut theirs) = (vec![vec![]; THREADS.len()], vec![vec![]; THREADS.len()]);
        for round in 0..rounds {
            let mut line = format!("  round {}:", round + 1);
            for (t, &threads) in THREADS.iter().enumerate() {
                // Alternate which tool goes first, so neither always runs on
                // a machine the other has just warmed or tired.
                let looptop_first = (round + t) % 2 == 0;
                for looptop_turn in [looptop_first, !looptop_first] {
                    if looptop_turn {
                        ours[t].push(looptop_run(url, values, seconds, threads));
                    } else {
                        theirs[t].push(wrk_rate(url, connections, seconds, threads));
                    }
                }
                let (o, w) = (ours[t][round].rate, theirs[t][round]);
                line += &format!("  {threads}t looptop {o:>7.0} wrk {w:>7.0} ({:.2})", o / w);
            }
            println!("{line}");
        }
        let mut best = [(0.0, 0), (0.0, 0)];
        for (t, &threads) in THREADS.iter().enumerate() {
            let of = |field: fn(&ClientRun) -> f64| {
                median(&ours[t].iter().map(field).collect::<Vec<_>>())
            };
            let ratios: Vec<f64> = ours[t]
                .iter()
                .zip(&theirs[t])
                .map(|(o, w)| o.rate / w)
                .collect();
            let (lo, hi) = range(&ratios);
            let (o, w) = (of(|r| r.rate), median(&theirs[t]));
            println!(
                "  {threads} thread(s): medians looptop {o:.0} req/s, wrk {w:.0} req/s; \
                 looptop / wrk {:.3} (rounds {lo:.2}..{hi:.2}); \
                 looptop per request: {:.2} polls, {:.3} worker parks",
                o / w,
                of(|r| r.polls),
                of(|r| r.parks),
            );
            for (best, rate) in best.iter_mut().zip([o, w]) {
                if rate > best.0 {
                    *best = (rate, threads);
                }
            }
        }
        let [(o, ot), (w, wt)] = best;
        println!(
            "  maximum: looptop {o:.0} req/s ({ot} worker(s)), wrk {w:.0} req/s (-t{wt}); \
             looptop / wrk {:.3} (goal >= 0.9)",
            o / w
        );
    }
}

/// One timed run of looptop's client.
#[derive(Clone)]
struct ClientRun {
    /// Answers per second.
    rate: f64,
    /// Per answer: task polls, and times a worker went to sleep. They show
    /// what the scheduler spent beside the requests themselves.
    polls: f64,
    parks: f64,
}

/// looptop's client on its instrumented runtime (histograms and stall
/// tracking on, as the dashboard runs it) with `workers` workers.
fn looptop_run(url: &str, values: &[u64], seconds: u64, workers: usize) -> ClientRun {
    let tracker = PollTracker::new(workers, Duration::from_millis(10));
    let rt = runtime::build(workers, Instruments::Hooks(tracker)).unwrap();
    let target = Target::parse(url).unwrap();
    let workload = RequestsWorkload::start(rt.handle(), values, Some(&target)).unwrap();
    let metrics = rt.metrics();
    let sum = |count: &dyn Fn(usize) -> u64| (0..workers).map(count).sum::<u64>() as f64;
    let polls = || sum(&|w| metrics.worker_poll_count(w));
    let parks = || sum(&|w| metrics.worker_park_count(w));
    thread::sleep(Duration::from_millis(500));
    let start = (workload.counters().ok, polls(), parks(), Instant::now());
    thread::sleep(Duration::from_secs(seconds));
    let answers = (workload.counters().ok - start.0) as f64;
    let run = ClientRun {
        rate: answers / start.3.elapsed().as_secs_f64(),
        polls: (polls() - start.1) / answers,
        parks: (parks() - start.2) / answers,
    };
    drop(workload);
    rt.shutdown_background();
    run
}

/// wrk's "Requests/sec" with this many threads and connections.
fn wrk_rate(url: &str, connections: u64, seconds: u64, threads: usize) -> f64 {
    let out = Command::new("wrk")
        .args([
            &format!("-t{threads}"),
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
        ])
        .arg(url)
        .output()
        .expect("run wrk");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Requests/sec in wrk's output:\n{text}"))
}
