//! What looptop's instrumentation costs, measured side by side in one run.
//!
//! Every section compares four runtimes in rotating rounds, each round's
//! arm in a process of its own: plain tokio (this bench built without the
//! `console` feature, so without tokio's `tracing` feature and named
//! spawns, into target/no-console); plain, as the default build has it; the
//! poll-time and scheduling-delay histograms, sampled every tick; and
//! looptop's full instrumentation as the dashboard runs it (the task hooks,
//! which count poll times and scheduling delays and track long polls, the
//! sampler and diagnosis).
//!
//! 1. The queue workload at full speed (no waits, no CPU work): items/s,
//!    medians and the ratios to both plain arms (goal: >= 0.95). Once on
//!    one worker, where the figure is steady, and once on two, where
//!    throughput swings by 2x from round to round with where producers and
//!    consumers land (every runtime alike), so only a median over many
//!    rounds means much.
//! 2. The cost per poll: four tasks per worker that only `yield_now`, so
//!    every iteration is one poll; on one worker and on two, where the
//!    workers' writes to shared state (the stall tracker's slots) would show.
//!    The worst case for anything done per poll, such as the task hooks.
//!    It adds tokio's wake timing alone (what the scheduling delay needs)
//!    and looptop with tokio's poll-time histogram on as well (as it ran
//!    before its hooks counted poll times), beside today's, and what one
//!    clock reading costs.
//! 3. The dashboard thread's own CPU time per second: the real binary in a
//!    pseudo-terminal at the default scenario, its main (UI) thread's CPU
//!    time read from /proc.
//!
//! 4. What telling a long poll computing from blocked costs: reading one
//!    worker thread's CPU clock, scheduler counts and system call, as the
//!    stall watch does once a tick for each worker in a long poll.
//!
//! 5. What tokio's `taskdump` feature costs while no dump is taken: plain
//!    tokio with it and without it (a third build, into target/no-taskdump).
//!
//! `cargo bench --bench overhead` runs all five (about forty minutes,
//! with the other builds); `-- --rounds 80 --seconds 2` for more,
//! `-- --per-poll` for the second alone, `-- --stall-cause` for the fourth,
//! `-- --taskdump` for the fifth.

#[path = "support/args.rs"]
mod args;
#[path = "../tests/support/pty.rs"]
#[allow(dead_code)]
mod pty;
#[path = "support/stats.rs"]
mod stats;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use looptop::observed::Observed;
use looptop::runtime::{self, Instruments};
use looptop::sampler::Sampler;
use looptop::settings::Settings;
use looptop::stall::PollTracker;
use looptop::workload::contract::Tick;
use looptop::workload::queue::report::QueueSample;
use looptop::workload::{QueueSettings, QueueWorkload, Running};
use stats::{median, range};

const WARM_UP: Duration = Duration::from_millis(500);
const TICK: Duration = Duration::from_millis(250);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // One measurement, run in a process of its own: `--arm KIND ARM WORKERS
    // SECONDS` prints one rate. The bench runs every arm that way, so the
    // plain tokio arm can come from a build without the `console` feature.
    if let Some(i) = args.iter().position(|a| a == "--arm") {
        println!("{}", measure_arm(&args[i + 1..]));
        return;
    }
    if args.iter().any(|a| a == "--stall-cause") {
        stall_cause_cost();
        return;
    }
    if args.iter().any(|a| a == "--taskdump") {
        taskdump_cost(args::option(&args, "--rounds", 8) as usize, 1);
        return;
    }
    let option = |name: &str, default: u64| args::option(&args, name, default);
    // Many short rounds: on two workers each round lands in a fast or a slow
    // mode by chance, and only many draws make the median trustworthy.
    let rounds = option("--rounds", 40) as usize;
    let seconds = option("--seconds", 1);
    let builds = Builds::new();
    // `--per-poll` runs only the cost-per-poll section, with all the rounds.
    if args.iter().any(|a| a == "--per-poll") {
        for workers in [1, 2] {
            per_poll_cost(&builds, workers, rounds, seconds);
        }
        return;
    }
    for workers in [1, 2] {
        throughput(&builds, workers, rounds, seconds);
        println!();
    }
    for workers in [1, 2] {
        per_poll_cost(&builds, workers, rounds.div_ceil(2), seconds);
    }
    println!();
    stall_cause_cost();
    taskdump_cost(rounds.div_ceil(4), seconds);

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

/// The bench built as it is (the default features, so tokio's `tracing`
/// and named spawns) and built without the `console` feature: plain tokio.
struct Builds {
    default: PathBuf,
    plain_tokio: PathBuf,
}

impl Builds {
    fn new() -> Self {
        let default = std::env::current_exe().expect("the bench's own path");
        let plain_tokio = if cfg!(feature = "console") {
            build_without_console()
        } else {
            default.clone()
        };
        Self {
            default,
            plain_tokio,
        }
    }
}

/// The arms every section compares, each run in a process of its own.
const ARMS: [(&str, &str); 4] = [
    ("plain tokio", "plain"),
    ("plain, default build", "plain"),
    ("tokio's histograms", "histograms"),
    ("looptop", "looptop"),
];

/// The cost per poll adds tokio's wake timing alone (what the
/// scheduling-delay figure needs, without tokio's histogram), and looptop
/// with tokio's poll-time histogram on as well (as it ran before its hooks
/// counted poll times), beside today's.
const PER_POLL_ARMS: [(&str, &str); 6] = [
    ARMS[0],
    ARMS[1],
    ("tokio's wake timing", "wake-timing"),
    ARMS[2],
    ("looptop + tokio's poll", "looptop-before"),
    ARMS[3],
];

/// `(arm name, rates)` for each arm, `rounds` rotating rounds of `kind`.
fn rounds_of(
    builds: &Builds,
    arms: &[(&str, &str)],
    kind: &str,
    workers: usize,
    rounds: usize,
    seconds: u64,
    mut each_round: impl FnMut(usize, &[f64]),
) -> Vec<Vec<f64>> {
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); arms.len()];
    for round in 0..rounds {
        // Rotate which goes first, so drift on a noisy machine hits all.
        for arm in (0..arms.len()).map(|i| (i + round) % arms.len()) {
            let binary = if arm == 0 {
                &builds.plain_tokio
            } else {
                &builds.default
            };
            rates[arm].push(run_arm(binary, kind, arms[arm].1, workers, seconds));
        }
        let this_round: Vec<f64> = rates.iter().map(|r| r[round]).collect();
        each_round(round, &this_round);
    }
    rates
}

fn throughput(builds: &Builds, workers: usize, rounds: usize, seconds: u64) {
    println!(
        "queue workload at full speed, {workers} worker(s), {rounds} rounds of {seconds}s each"
    );
    let rates = rounds_of(
        builds,
        &ARMS,
        "queue",
        workers,
        rounds,
        seconds,
        |round, r| {
            println!(
            "  round {:>2}: plain tokio {:>9.0}   default build {:>9.0} ({:.3})   histograms {:>9.0} ({:.3})   + stall tracking {:>9.0} ({:.3}) items/s",
            round + 1,
            r[0],
            r[1],
            r[1] / r[0],
            r[2],
            r[2] / r[0],
            r[3],
            r[3] / r[0],
        );
        },
    );
    let medians: Vec<String> = ARMS
        .iter()
        .zip(&rates)
        .map(|((name, _), r)| format!("{name} {:.0}", median(r)))
        .collect();
    println!("  medians (items/s): {}", medians.join(", "));
    for base in [0, 1] {
        for arm in base + 1..ARMS.len() {
            let ratios: Vec<f64> = rates[base]
                .iter()
                .zip(&rates[arm])
                .map(|(p, i)| i / p)
                .collect();
            let (lo, hi) = range(&ratios);
            println!(
                "  {} / {}: median of ratios {:.3} (range {lo:.2}..{hi:.2}), ratio of medians {:.3}",
                ARMS[arm].0,
                ARMS[base].0,
                median(&ratios),
                median(&rates[arm]) / median(&rates[base])
            );
        }
    }
}

fn per_poll_cost(builds: &Builds, workers: usize, rounds: usize, seconds: u64) {
    println!();
    println!(
        "cost per poll: 4 tasks per worker that only yield_now, {workers} worker(s), {rounds} rounds of {seconds}s"
    );
    let rates = rounds_of(
        builds,
        &PER_POLL_ARMS,
        "yield",
        workers,
        rounds,
        seconds,
        |_, _| {},
    );
    // Per worker: each worker polls its own share of the tasks.
    let ns = |r: &[f64]| 1e9 * workers as f64 / median(r);
    let plain_ns = ns(&rates[0]);
    for ((name, _), r) in PER_POLL_ARMS.iter().zip(&rates) {
        println!(
            "  {name:<22} {:>6.2} M polls/s  {:>6.1} ns per poll per worker  (+{:.1} ns over plain tokio)",
            median(r) / 1e6,
            ns(r),
            ns(r) - plain_ns
        );
    }
    if workers == 2 {
        clock_readings();
    }
}

/// What one clock reading costs here: tokio times a wake and a poll's start
/// with `Instant::now()`, the hooks a poll with the time-stamp counter.
/// The scheduling delay needs two of the first a poll, the long polls two
/// of the second: their sum is the least any instrumentation with both
/// figures can add, before it stores anything.
fn clock_readings() {
    const READS: u32 = 10_000_000;
    let per_read = |read: &dyn Fn() -> u64| {
        let at = Instant::now();
        let mut sum = 0u64;
        for _ in 0..READS {
            sum = sum.wrapping_add(std::hint::black_box(read()));
        }
        std::hint::black_box(sum);
        at.elapsed().as_nanos() as f64 / f64::from(READS)
    };
    let start = Instant::now();
    let instant = per_read(&|| start.elapsed().as_nanos() as u64);
    let clock = quanta::Clock::new();
    let tsc = per_read(&|| clock.raw());
    println!(
        "  one clock reading: Instant::now() {instant:.1} ns, time-stamp counter {tsc:.1} ns; \
         two of each a poll (wake and poll start, the hooks' start and end) come to {:.1} ns",
        2.0 * (instant + tsc)
    );
}

/// Runs one arm in a child process of `binary` and reads its rate.
fn run_arm(binary: &PathBuf, kind: &str, arm: &str, workers: usize, seconds: u64) -> f64 {
    let output = Command::new(binary)
        .args(["--bench", "--arm", kind, arm])
        .arg(workers.to_string())
        .arg(seconds.to_string())
        .stderr(Stdio::inherit())
        .output()
        .expect("run the bench's arm");
    assert!(output.status.success(), "arm {kind} {arm} failed");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("an arm prints its rate")
}

/// `KIND ARM WORKERS SECONDS`: the rate of one arm, measured here.
fn measure_arm(args: &[String]) -> f64 {
    let [kind, arm, workers, seconds] = args else {
        panic!("--arm KIND ARM WORKERS SECONDS");
    };
    let workers: usize = workers.parse().expect("WORKERS");
    let duration = Duration::from_secs(seconds.parse().expect("SECONDS"));
    let instruments = || match arm.as_str() {
        "plain" | "wake-timing" => Instruments::None,
        "histograms" => Instruments::Histograms,
        _ => Instruments::Hooks(PollTracker::new(workers, Duration::from_millis(10))),
    };
    let mut builder = runtime::builder(workers, instruments());
    if arm == "looptop-before" {
        runtime::enable_poll_time_histogram(&mut builder);
    }
    if arm == "wake-timing" {
        // The scheduling delay's time stamps at every wake and poll start,
        // with no histogram to count them in.
        builder.track_task_schedule_latency();
    }
    match (kind.as_str(), arm.as_str()) {
        ("yield", _) => yield_loop(builder.build().unwrap(), workers, duration),
        ("queue", "plain") => run_plain(workers, duration),
        ("queue", "histograms") => run_histograms(workers, duration),
        ("queue", "looptop") => run_looptop(workers, duration),
        _ => panic!("no arm {kind} {arm}"),
    }
}

/// Polls per second of four tasks per worker that do nothing but yield.
fn yield_loop(rt: tokio::runtime::Runtime, workers: usize, duration: Duration) -> f64 {
    let polls = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    for _ in 0..4 * workers {
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
    let mut sampler = Sampler::new(rt.handle());
    let mut consumed = || {
        let mut snapshot = sampler.sample();
        snapshot.sections = running.sample(&Tick::default());
        snapshot
            .section::<QueueSample>()
            .map_or(0, |q| q.consumed_total)
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
    let start = observed
        .sample()
        .section::<QueueSample>()
        .map_or(0, |q| q.consumed_total);
    let at = Instant::now();
    let mut end = start;
    while at.elapsed() < duration {
        thread::sleep(TICK.min(duration.saturating_sub(at.elapsed())));
        end = observed
            .sample()
            .section::<QueueSample>()
            .map_or(0, |q| q.consumed_total);
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

/// Builds this bench without the `console` feature (so without tokio's
/// `tracing` feature and named spawns) into target/no-console.
fn build_without_console() -> PathBuf {
    build_variant("no-console", &["--no-default-features"], None)
}

/// Builds this bench without task dumps (tokio's `taskdump` feature, which
/// a target-specific dependency turns on and only a cfg can keep off) into
/// target/no-taskdump.
fn build_without_taskdump() -> PathBuf {
    build_variant(
        "no-taskdump",
        &[],
        Some("--cfg tokio_unstable --cfg looptop_no_taskdump"),
    )
}

/// Builds this bench with `args` (and these RUSTFLAGS, in place of the
/// config's) into target/DIR; returns its executable.
fn build_variant(dir: &str, args: &[&str], rustflags: Option<&str>) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = root.join("target").join(dir);
    println!("building the bench {args:?} into {} ...", target.display());
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .args(["bench", "--bench", "overhead", "--no-run", "--quiet"])
        .args(args)
        .args(["--message-format", "json", "--target-dir"])
        .arg(&target)
        .current_dir(&root)
        .stderr(Stdio::inherit());
    if let Some(flags) = rustflags {
        cargo.env("RUSTFLAGS", flags);
    }
    let output = cargo.output().expect("run cargo");
    assert!(output.status.success(), "cargo bench {args:?} failed");
    // cargo names the bench's executable in its JSON messages.
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find_map(|m| {
            (m["target"]["name"] == "overhead")
                .then(|| m["executable"].as_str().map(PathBuf::from))
                .flatten()
        })
        .expect("cargo names the bench's executable")
}

/// What tokio's `taskdump` feature costs when no dump is taken: plain tokio
/// built with and without it, in turn, on the per-poll and the queue loads.
fn taskdump_cost(rounds: usize, seconds: u64) {
    let with = std::env::current_exe().expect("the bench's own path");
    let without = build_without_taskdump();
    println!();
    println!("tokio's taskdump feature, no dump taken: plain tokio with / without it, {rounds} rounds of {seconds}s in turn");
    for (kind, what) in [
        ("yield", "polls/s (yield_now loop)"),
        ("queue", "items/s (queue at full speed)"),
    ] {
        for workers in [1, 2] {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            for _ in 0..rounds {
                a.push(run_arm(&without, kind, "plain", workers, seconds));
                b.push(run_arm(&with, kind, "plain", workers, seconds));
            }
            println!(
                "  {what:<32} {workers} worker(s): without {:>6.2} M, with {:>6.2} M, ratio {:.3}",
                median(&a) / 1e6,
                median(&b) / 1e6,
                median(&b) / median(&a)
            );
        }
    }
}

fn clock_ticks_per_second() -> i64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .unwrap_or(100)
}

/// The cost of one reading of a thread for the stall watch, on a thread
/// asleep in the kernel and on one computing: medians of 20 rounds of 1,000.
fn stall_cause_cost() {
    use looptop::stall::cause::read_thread;
    use std::sync::mpsc;

    println!("reading a worker thread for its cause (CPU clock, schedstat, syscall)");
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let sleeper = {
        let (tx, stop) = (tx.clone(), stop.clone());
        std::thread::spawn(move || {
            tx.send(looptop::cpu_time::this_thread_id()).unwrap();
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let spinner = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            tx.send(looptop::cpu_time::this_thread_id()).unwrap();
            while !stop.load(Ordering::Relaxed) {
                std::hint::spin_loop();
            }
        })
    };
    let threads = [
        ("asleep", rx.recv().unwrap()),
        ("computing", rx.recv().unwrap()),
    ];
    for (what, tid) in threads {
        let mut rounds: Vec<f64> = (0..20)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..1_000 {
                    std::hint::black_box(read_thread(tid));
                }
                start.elapsed().as_secs_f64() * 1e6 / 1_000.0
            })
            .collect();
        rounds.sort_by(f64::total_cmp);
        println!(
            "  a thread {what}: {:.1} µs per reading (median of 20 rounds; {:.1} to {:.1})",
            rounds[10], rounds[0], rounds[19]
        );
    }
    stop.store(true, Ordering::Relaxed);
    sleeper.join().unwrap();
    spinner.join().unwrap();
}
