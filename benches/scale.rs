//! Whether looptop stays light with many tasks: for 1,000 to 1,000,000
//! alive tasks (each asleep on a timer, as idle connections are), on a
//! plain runtime and on one instrumented as looptop instruments it, side
//! by side, each measurement in a process of its own:
//!
//! - the time to spawn them (and for each to be polled once);
//! - resident memory per task, and the share looptop's instrumentation adds;
//! - the sampler's time per tick (the runtime's figures, the long polls,
//!   the warnings), which must not grow with the tasks;
//! - one dashboard frame's draw time (a 120x40 test terminal);
//! - the cost per poll with that many tasks alive (four tasks per worker
//!   that only `yield_now`), plain and instrumented.
//!
//! `cargo bench --bench scale`; `-- --rounds 5` for more rounds (default 3).

#[path = "support/args.rs"]
mod args;
#[path = "support/stats.rs"]
#[allow(dead_code)]
mod stats;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use looptop::app::{App, RunInfo};
use looptop::runtime::{self, Instruments};
use looptop::sampler::sections::Sections;
use looptop::scenario::Explain;
use looptop::settings::Settings;
use looptop::stall::PollTracker;
use looptop::watch::RuntimeWatch;
use looptop::workload::threads_vs_tasks::process_threads_and_rss;
use looptop::workload::Group;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::{json, Value};
use stats::median;

const WORKERS: usize = 2;
const COUNTS: [u64; 4] = [1_000, 10_000, 100_000, 1_000_000];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--arm") {
        let (arm, tasks) = (&args[i + 1], args[i + 2].parse().expect("TASKS"));
        println!("{}", measure(arm == "looptop", tasks));
        return;
    }
    let rounds = args::option(&args, "--rounds", 3) as usize;
    println!(
        "alive tasks asleep on timers, {WORKERS} workers, plain and instrumented, \
         {rounds} alternating rounds, medians"
    );
    println!(
        "{:>9} | {:>15} | {:>24} | {:>10} | {:>8} | {:>20}",
        "tasks",
        "spawn plain/lt",
        "bytes/task plain/lt (+)",
        "sampler",
        "frame",
        "ns/poll plain/lt (+)"
    );
    for tasks in COUNTS {
        let (mut plain, mut looptop) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            for instrumented in [round % 2 == 0, round % 2 != 0] {
                let figures = run_arm(instrumented, tasks);
                if instrumented {
                    looptop.push(figures);
                } else {
                    plain.push(figures);
                }
            }
        }
        let m = |runs: &[Value], key: &str| {
            median(
                &runs
                    .iter()
                    .map(|r| r[key].as_f64().unwrap())
                    .collect::<Vec<_>>(),
            )
        };
        let (bytes_plain, bytes_lt) = (m(&plain, "bytes_per_task"), m(&looptop, "bytes_per_task"));
        let (poll_plain, poll_lt) = (m(&plain, "poll_ns"), m(&looptop, "poll_ns"));
        println!(
            "{:>9} | {:>6.0}/{:>6.0} ms | {:>6.0}/{:>6.0} B ({:>+5.1}%) | {:>7.0} µs | {:>5.2} ms | {:>5.0}/{:>5.0} ({:>+4.0})",
            tasks,
            m(&plain, "spawn_s") * 1e3,
            m(&looptop, "spawn_s") * 1e3,
            bytes_plain,
            bytes_lt,
            100.0 * (bytes_lt - bytes_plain) / bytes_plain,
            m(&looptop, "sampler_us"),
            m(&looptop, "frame_ms"),
            poll_plain,
            poll_lt,
            poll_lt - poll_plain,
        );
    }
}

/// One measurement in a child process: a fresh heap and runtime each.
fn run_arm(instrumented: bool, tasks: u64) -> Value {
    let arm = if instrumented { "looptop" } else { "plain" };
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--bench", "--arm", arm, &tasks.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .expect("run the bench's arm");
    assert!(output.status.success(), "arm {arm} {tasks} failed");
    serde_json::from_slice(&output.stdout).expect("an arm prints its figures")
}

fn measure(instrumented: bool, tasks: u64) -> Value {
    let tracker = PollTracker::new(WORKERS, Duration::from_millis(10));
    let instruments = if instrumented {
        Instruments::Hooks(tracker.clone())
    } else {
        Instruments::None
    };
    let rt = runtime::build(WORKERS, instruments).unwrap();
    let resident = || process_threads_and_rss().1;

    let polled = Arc::new(AtomicU64::new(0));
    let spawn = |n: u64| {
        let target = polled.load(Ordering::Relaxed) + n;
        for _ in 0..n {
            let polled = polled.clone();
            rt.spawn(async move {
                let sleep = tokio::time::sleep(Duration::from_secs(3600));
                polled.fetch_add(1, Ordering::Relaxed);
                sleep.await;
            });
        }
        // Every task polled once, its timer registered.
        while polled.load(Ordering::Relaxed) < target {
            thread::sleep(Duration::from_micros(100));
        }
    };
    // A thousand first, outside the measure: each worker thread's first
    // polls set up its thread-locals and first pages, once, whatever the
    // count.
    spawn(1_000);
    thread::sleep(Duration::from_millis(200));
    let before = resident();
    let started = Instant::now();
    spawn(tasks);
    let spawn_s = started.elapsed().as_secs_f64();
    // Let the allocator's and the timer's last pages settle.
    thread::sleep(Duration::from_millis(200));
    let bytes_per_task = resident().saturating_sub(before) as f64 / tasks as f64;

    let (sampler_us, frame_ms) = if instrumented {
        sampler_and_frame(&rt, tracker)
    } else {
        (0.0, 0.0)
    };
    json!({
        "spawn_s": spawn_s,
        "bytes_per_task": bytes_per_task,
        "sampler_us": sampler_us,
        "frame_ms": frame_ms,
        "poll_ns": poll_ns(&rt),
    })
}

/// The sampler's time per tick and a frame's draw time, medians of 20.
fn sampler_and_frame(rt: &tokio::runtime::Runtime, tracker: Arc<PollTracker>) -> (f64, f64) {
    let mut watch = RuntimeWatch::new(rt.handle(), tracker);
    let settings = Settings::defaults(&[Group::ManyTasks]);
    let info = RunInfo::new("many-tasks", WORKERS, Duration::from_millis(250));
    let mut app = App::new(info, settings, Explain::default());
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let (mut sampler, mut frame) = (Vec::new(), Vec::new());
    for _ in 0..20 {
        thread::sleep(Duration::from_millis(50));
        let at = Instant::now();
        let snapshot = watch.sample(|_| Sections::default());
        sampler.push(at.elapsed().as_secs_f64() * 1e6);
        app.record(snapshot);
        let at = Instant::now();
        terminal.draw(|f| looptop::ui::draw(f, &app)).unwrap();
        frame.push(at.elapsed().as_secs_f64() * 1e3);
    }
    (median(&sampler), median(&frame))
}

/// Nanoseconds per poll per worker of four tasks per worker that only
/// yield, for a second, with the sleeping tasks alive beside them.
fn poll_ns(rt: &tokio::runtime::Runtime) -> f64 {
    let polls = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    for _ in 0..4 * WORKERS {
        let (polls, stop) = (polls.clone(), stop.clone());
        rt.spawn(async move {
            let mut mine = 0u64;
            while !stop.load(Ordering::Relaxed) {
                mine += 1;
                if mine.is_multiple_of(1024) {
                    polls.fetch_add(1024, Ordering::Relaxed);
                }
                tokio::task::yield_now().await;
            }
        });
    }
    thread::sleep(Duration::from_millis(300));
    let (start, at) = (polls.load(Ordering::Relaxed), Instant::now());
    thread::sleep(Duration::from_secs(1));
    let rate = (polls.load(Ordering::Relaxed) - start) as f64 / at.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    1e9 * WORKERS as f64 / rate
}
