//! What looptop's instrumentation costs, measured side by side in one run.
//!
//! 1. The queue workload at full speed (no waits, no CPU work) on a plain
//!    tokio runtime; on a runtime with the poll-time and scheduling-delay
//!    histograms, sampled every tick; and on looptop's full instrumentation
//!    (the histograms plus long-poll tracking through the task hooks, as the
//!    dashboard runs), in rotating rounds. Prints items/s, medians and the
//!    ratios to plain (goal: >= 0.95). Once on one worker,
//!    where the figure is steady, and once on two, where throughput swings
//!    by 2x from round to round with where producers and consumers land
//!    (both runtimes alike), so only a median over many rounds means much.
//! 2. The cost per poll: tasks that only `yield_now` in a loop, so every
//!    iteration is one poll, on the same three runtimes. The worst case for
//!    anything done per poll, such as the task hooks.
//! 3. The dashboard thread's own CPU time per second: the real binary in a
//!    pseudo-terminal at the default scenario, its main (UI) thread's CPU
//!    time read from /proc.
//!
//! `cargo bench --bench overhead` runs all three (about eight minutes);
//! `-- --rounds 80 --seconds 2` for more, `-- --per-poll` for the second alone.

#[path = "support/args.rs"]
mod args;
#[path = "../tests/support/pty.rs"]
#[allow(dead_code)]
mod pty;
#[path = "support/stats.rs"]
mod stats;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use looptop::observed::Observed;
use looptop::runtime::{self, Instruments};
use looptop::sampler::Sampler;
use looptop::settings::Settings;
use looptop::stall::PollTracker;
use looptop::workload::{QueueSettings, QueueWorkload, Running};
use stats::{median, range};

const WARM_UP: Duration = Duration::from_millis(500);
const TICK: Duration = Duration::from_millis(250);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let option = |name: &str, default: u64| args::option(&args, name, default);
    // Many short rounds: on two workers each round lands in a fast or a slow
    // mode by chance, and only many draws make the median trustworthy.
    let rounds = option("--rounds", 40) as usize;
    let seconds = Duration::from_secs(option("--seconds", 1));
    // `--per-poll` runs only the cost-per-poll section, with all the rounds.
    if args.iter().any(|a| a == "--per-poll") {
        per_poll_cost(rounds, seconds);
        return;
    }
    for workers in [1, 2] {
        throughput(workers, rounds, seconds);
        println!();
    }
    per_poll_cost(rounds.div_ceil(2), seconds);

    println!();
    println!(
        "dashboard thread CPU at the default scenario (release binary in a 120x40 pseudo-terminal)"
    );
    let window = Duration::from_secs(20);
    let (ui, total) = dashboard_cpu(window);
    // /proc counts CPU time in clock ticks (10 ms here): the figure is good
    // to one tick over the window.
    let resolution = 1e3 / clock_ticks_per_second() as f64 / window.as_secs_f64();
    println!(
        "  UI thread: {:.1} ms CPU per second ({:.2}% of one core; ±{resolution:.1} ms)",
        ui * 1e3,
        ui * 100.0
    );
    println!(
        "  whole process (workers included): {:.1} ms CPU per second",
        total * 1e3
    );
}

fn throughput(workers: usize, rounds: usize, seconds: Duration) {
    println!(
        "queue workload at full speed, {workers} worker(s), {rounds} rounds of {seconds:?} each"
    );
    // [plain, histograms, histograms + stall tracking]
    let mut rates: [Vec<f64>; 3] = Default::default();
    for round in 0..rounds {
        // Rotate which goes first, so drift on a noisy machine hits all.
        for arm in (0..3).map(|i| (i + round) % 3) {
            let rate = match arm {
                0 => run_plain(workers, seconds),
                1 => run_histograms(workers, seconds),
                _ => run_looptop(workers, seconds),
            };
            rates[arm].push(rate);
        }
        println!(
            "  round {:>2}: plain {:>9.0}   histograms {:>9.0} ({:.3})   + stall tracking {:>9.0} ({:.3}) items/s",
            round + 1,
            rates[0][round],
            rates[1][round],
            rates[1][round] / rates[0][round],
            rates[2][round],
            rates[2][round] / rates[0][round],
        );
    }
    println!(
        "  medians: plain {:.0}, histograms {:.0}, histograms + stall tracking {:.0} items/s",
        median(&rates[0]),
        median(&rates[1]),
        median(&rates[2])
    );
    for (arm, name) in [(1, "histograms"), (2, "histograms + stall tracking")] {
        let ratios: Vec<f64> = rates[0]
            .iter()
            .zip(&rates[arm])
            .map(|(p, i)| i / p)
            .collect();
        let (lo, hi) = range(&ratios);
        println!(
            "  {name} / plain: median of ratios {:.3} (range {lo:.2}..{hi:.2}), ratio of medians {:.3}; goal >= 0.95",
            median(&ratios),
            median(&rates[arm]) / median(&rates[0])
        );
    }
}

fn per_poll_cost(rounds: usize, seconds: Duration) {
    println!();
    println!(
        "cost per poll: 4 tasks that only yield_now, 1 worker, {rounds} rounds of {seconds:?}"
    );
    let arms = [
        ("plain", Instruments::None),
        ("histograms", Instruments::Histograms),
        (
            "histograms + stall tracking",
            Instruments::HistogramsAndStalls(PollTracker::new(1, Duration::from_millis(10))),
        ),
    ];
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); arms.len()];
    for round in 0..rounds {
        for arm in (0..arms.len()).map(|i| (i + round) % arms.len()) {
            rates[arm].push(yield_loop(arms[arm].1.clone(), seconds));
        }
    }
    let plain_ns = 1e9 / median(&rates[0]);
    for (arm, (name, _)) in arms.iter().enumerate() {
        let ns = 1e9 / median(&rates[arm]);
        println!(
            "  {name:<28} {:>6.2} M polls/s  {ns:>6.1} ns per poll  (+{:.1} ns over plain)",
            median(&rates[arm]) / 1e6,
            ns - plain_ns
        );
    }
}

/// Polls per second of four tasks that do nothing but yield.
fn yield_loop(instruments: Instruments, duration: Duration) -> f64 {
    let rt = runtime::build(1, instruments).unwrap();
    let polls = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    for _ in 0..4 {
        let (polls, stop) = (polls.clone(), stop.clone());
        rt.spawn(async move {
            let mut mine = 0;
            while !stop.load(Ordering::Relaxed) {
                mine += 1;
                if mine % 1024 == 0 {
                    polls.fetch_add(1024, Ordering::Relaxed);
                }
                tokio::task::yield_now().await;
            }
        });
    }
    thread::sleep(WARM_UP);
    let (start, at) = (polls.load(Ordering::Relaxed), Instant::now());
    thread::sleep(duration);
    let rate = (polls.load(Ordering::Relaxed) - start) as f64 / at.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    rt.shutdown_background();
    rate
}

/// A plain multi-thread runtime: no histograms, no hooks, no sampler.
fn run_plain(workers: usize, duration: Duration) -> f64 {
    let rt = runtime::build(workers, Instruments::None).unwrap();
    let workload = QueueWorkload::start(rt.handle(), QueueSettings::full_speed());
    thread::sleep(WARM_UP);
    let (start, at) = (workload.counters().consumed, Instant::now());
    thread::sleep(duration);
    let items = workload.counters().consumed - start;
    let rate = items as f64 / at.elapsed().as_secs_f64();
    drop(workload);
    rt.shutdown_background();
    rate
}

/// The histograms and the sampler reading them every tick; no task hooks.
fn run_histograms(workers: usize, duration: Duration) -> f64 {
    let rt = runtime::build(workers, Instruments::Histograms).unwrap();
    let mut running = Running::start(
        rt.handle(),
        &Settings::for_queue(QueueSettings::full_speed()),
        None,
    )
    .unwrap();
    let mut sampler = Sampler::new(rt.handle(), running.counters());
    let mut consumed = || {
        let latencies = running.take_latencies();
        let snapshot = sampler.sample(running.counters(), latencies);
        snapshot.queue.map_or(0, |q| q.consumed_total)
    };
    thread::sleep(WARM_UP);
    let start = consumed();
    let at = Instant::now();
    let mut end = start;
    while at.elapsed() < duration {
        thread::sleep(TICK.min(duration.saturating_sub(at.elapsed())));
        end = consumed();
    }
    let rate = (end - start) as f64 / at.elapsed().as_secs_f64();
    drop(running);
    rt.shutdown_background();
    rate
}

/// looptop as the dashboard runs it: histograms, long-poll tracking through
/// the task hooks, and the sampler and diagnosis every tick.
fn run_looptop(workers: usize, duration: Duration) -> f64 {
    let mut observed =
        Observed::start(workers, &Settings::for_queue(QueueSettings::full_speed())).unwrap();
    thread::sleep(WARM_UP);
    let start = observed.sample().queue.map_or(0, |q| q.consumed_total);
    let at = Instant::now();
    let mut end = start;
    while at.elapsed() < duration {
        thread::sleep(TICK.min(duration.saturating_sub(at.elapsed())));
        end = observed.sample().queue.map_or(0, |q| q.consumed_total);
    }
    (end - start) as f64 / at.elapsed().as_secs_f64()
}

/// CPU seconds per second of the dashboard's main thread and of the whole
/// process, over `duration` after the dashboard is up.
fn dashboard_cpu(duration: Duration) -> (f64, f64) {
    let tui = pty::Tui::start(&[], 120, 40);
    tui.wait_for_dashboard();
    let pid = tui.pid();
    let ui_stat = format!("/proc/{pid}/task/{pid}/stat");
    let process_stat = format!("/proc/{pid}/stat");
    let (ui_before, all_before, at) = (
        cpu_seconds(&ui_stat),
        cpu_seconds(&process_stat),
        Instant::now(),
    );
    thread::sleep(duration);
    let elapsed = at.elapsed().as_secs_f64();
    let ui = (cpu_seconds(&ui_stat) - ui_before) / elapsed;
    let all = (cpu_seconds(&process_stat) - all_before) / elapsed;
    (ui, all)
}

/// utime + stime from a /proc stat file, in seconds.
fn cpu_seconds(stat_path: &str) -> f64 {
    let stat = std::fs::read_to_string(stat_path).expect("read /proc stat");
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / clock_ticks_per_second() as f64
}

fn clock_ticks_per_second() -> i64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .unwrap_or(100)
}
