//! What looptop's instrumentation costs, measured side by side in one run.
//!
//! 1. The queue workload at full speed (no waits, no CPU work) on a plain
//!    tokio runtime, and on looptop's instrumented runtime with the sampler
//!    reading it every tick, in alternating rounds. Prints items/s, medians
//!    and the ratio instrumented / plain (goal: >= 0.95). Once on one worker,
//!    where the figure is steady, and once on two, where throughput swings
//!    by 2x from round to round with where producers and consumers land
//!    (both runtimes alike), so only a median over many rounds means much.
//! 2. The dashboard thread's own CPU time per second: the real binary in a
//!    pseudo-terminal at the default scenario, its main (UI) thread's CPU
//!    time read from /proc.
//!
//! `cargo bench --bench overhead` runs both (about four minutes);
//! `-- --rounds 80 --seconds 2` for more.

#[path = "../tests/support/pty.rs"]
#[allow(dead_code)]
mod pty;
#[path = "support/stats.rs"]
mod stats;

use std::thread;
use std::time::{Duration, Instant};

use looptop::observed::Observed;
use looptop::runtime;
use looptop::workload::{QueueSettings, QueueWorkload};
use stats::{median, range};

const WARM_UP: Duration = Duration::from_millis(500);
const TICK: Duration = Duration::from_millis(250);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let option = |name: &str, default: u64| -> u64 {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    // Many short rounds: on two workers each round lands in a fast or a slow
    // mode by chance, and only many draws make the median trustworthy.
    let rounds = option("--rounds", 40) as usize;
    let seconds = Duration::from_secs(option("--seconds", 1));
    for workers in [1, 2] {
        throughput(workers, rounds, seconds);
        println!();
    }

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
    let (mut plain, mut instrumented) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        // Alternate which goes first, so drift on a noisy machine hits both.
        let order = if round % 2 == 0 {
            [false, true]
        } else {
            [true, false]
        };
        for with_instruments in order {
            if with_instruments {
                instrumented.push(run_instrumented(workers, seconds));
            } else {
                plain.push(run_plain(workers, seconds));
            }
        }
        println!(
            "  round {:>2}: plain {:>9.0} items/s   instrumented {:>9.0} items/s   ratio {:.3}",
            round + 1,
            plain[round],
            instrumented[round],
            instrumented[round] / plain[round]
        );
    }
    let ratios: Vec<f64> = plain
        .iter()
        .zip(&instrumented)
        .map(|(p, i)| i / p)
        .collect();
    let (lo, hi) = range(&ratios);
    println!(
        "  median: plain {:.0} items/s, instrumented {:.0} items/s; ratio of medians {:.3}",
        median(&plain),
        median(&instrumented),
        median(&instrumented) / median(&plain)
    );
    println!(
        "  instrumented / plain: median of ratios {:.3} (range {lo:.2}..{hi:.2}; goal >= 0.95)",
        median(&ratios)
    );
}

/// A plain multi-thread runtime: no poll-time histogram, no sampler.
fn run_plain(workers: usize, duration: Duration) -> f64 {
    let rt = runtime::build(workers, runtime::Instruments::None).unwrap();
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

/// looptop's runtime and sampler, sampled every tick as the dashboard does.
fn run_instrumented(workers: usize, duration: Duration) -> f64 {
    let mut observed = Observed::start(workers, QueueSettings::full_speed()).unwrap();
    thread::sleep(WARM_UP);
    let start = observed.sample().queue.consumed_total;
    let at = Instant::now();
    let mut end = start;
    while at.elapsed() < duration {
        thread::sleep(TICK.min(duration.saturating_sub(at.elapsed())));
        end = observed.sample().queue.consumed_total;
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
