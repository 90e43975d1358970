//! What looking back costs, side by side in one run:
//! - recording: the default scenario headless for a while, with and without
//!   `--record`, in alternating rounds: the process's CPU per second of
//!   each, and the recording's bytes per minute; and, in this process, one
//!   tick written (serialized and written to a file), timed alone;
//! - the ten minutes of history the dashboard keeps to rewind through:
//!   resident memory of 2,400 ticks, and of the copy a pause takes;
//! - replay: one frame at 8x (the cursor moved on and every pane drawn at
//!   120x40), against a live frame of the same ticks.
//!
//! `cargo bench --bench record`; `-- --seconds 10 --rounds 5` to change the
//! defaults.

#[path = "support/args.rs"]
mod args;
#[path = "support/stats.rs"]
mod stats;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use looptop::app::{App, RunInfo};
use looptop::recording::{Header, Recorder, Recording};
use looptop::sampler::History;
use looptop::ui;
use looptop::workload::threads_vs_tasks::process_threads_and_rss;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use stats::{median, range};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds = args::option(&args, "--seconds", 10);
    let rounds = args::option(&args, "--rounds", 5) as usize;
    let dir = std::env::temp_dir().join(format!("looptop-bench-record-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("run.jsonl");

    println!(
        "recording: the default scenario headless (--format text), {rounds} alternating rounds of {seconds}s"
    );
    let (mut plain, mut recorded, mut bytes_per_min) = (vec![], vec![], vec![]);
    for round in 0..rounds {
        let recording_first = round % 2 == 0;
        for record in [recording_first, !recording_first] {
            let cpu = headless_cpu(seconds, record.then_some(file.as_path()));
            if record {
                recorded.push(cpu);
                let bytes = std::fs::metadata(&file).unwrap().len() as f64;
                bytes_per_min.push(bytes / seconds as f64 * 60.0);
            } else {
                plain.push(cpu);
            }
        }
        println!(
            "  round {}: CPU without {:.3} cores, with --record {:.3} cores",
            round + 1,
            plain[round],
            recorded[round]
        );
    }
    let (lo, hi) = range(&bytes_per_min);
    println!(
        "  medians: {:.3} cores without, {:.3} with ({:+.4} cores, ratio {:.3}); \
         {:.2} MB a minute ({:.2}..{:.2})",
        median(&plain),
        median(&recorded),
        median(&recorded) - median(&plain),
        median(&recorded) / median(&plain),
        median(&bytes_per_min) / 1e6,
        lo / 1e6,
        hi / 1e6,
    );

    let recording = Recording::load(&file).unwrap();
    let tick = recording.ticks.last().unwrap().clone();
    let header = Header::new("queue", 2, 0.25, &recording.settings);
    let mut recorder = Recorder::create(&dir.join("alone.jsonl"), u64::MAX, &header).unwrap();
    let times: Vec<f64> = (0..2_000)
        .map(|_| {
            let start = Instant::now();
            assert!(recorder.tick(&tick).is_none());
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    let per_tick = median(&times);
    println!(
        "  one tick written alone: median {per_tick:.1} µs ({} bytes): {:.0} µs of CPU a second at 4 ticks a second",
        serde_json::to_vec(&tick).unwrap().len() + 1,
        per_tick * 4.0
    );

    let before = process_threads_and_rss().1;
    let mut history = History::default();
    for _ in 0..2_400 {
        history.push(tick.clone());
    }
    let held = process_threads_and_rss().1.saturating_sub(before);
    let paused = history.clone();
    let copy = process_threads_and_rss().1.saturating_sub(before + held);
    println!(
        "history: 2,400 ticks (10 minutes at 250 ms) of this scenario hold {:.1} MB resident, \
         {:.1} KB a tick; a pause's copy {:.1} MB more",
        held as f64 / 1e6,
        held as f64 / 2_400.0 / 1e3,
        copy as f64 / 1e6
    );
    drop((history, paused));

    let info = RunInfo::new(
        &recording.header.scenario,
        recording.header.workers,
        Duration::from_millis(250),
    );
    let explain = looptop::scenario::load("queue").unwrap().explain;
    let mut live = App::new(info.clone(), recording.settings.clone(), explain.clone());
    for tick in &recording.ticks {
        live.record(tick.clone());
    }
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let live_frames: Vec<f64> = (0..500)
        .map(|_| {
            let start = Instant::now();
            terminal.draw(|f| ui::draw(f, &live)).unwrap();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    let mut replay = App::replay(info, recording, 8.0, explain);
    let replay_frames: Vec<f64> = (0..500)
        .map(|_| {
            // At the end, space plays it again from the start.
            if !replay.playback.as_ref().is_some_and(|p| p.playing) {
                replay.update(looptop::app::Action::TogglePause);
            }
            let start = Instant::now();
            replay.advance();
            terminal.draw(|f| ui::draw(f, &replay)).unwrap();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    let (live_ms, replay_ms) = (median(&live_frames) / 1e3, median(&replay_frames) / 1e3);
    println!(
        "replay at 8x: a frame (a tick on, every pane drawn at 120x40) median {replay_ms:.2} ms, \
         a live frame {live_ms:.2} ms (ratio {:.2}); at 8x a 250 ms tick comes every 31 ms",
        replay_ms / live_ms
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The CPU the process used a second, over a headless run of the default
/// scenario, recording to `record` if given.
fn headless_cpu(seconds: u64, record: Option<&Path>) -> f64 {
    let mut command = Command::new(env!("CARGO_BIN_EXE_looptop"));
    command
        .args(["--headless", "--format", "text", "--duration"])
        .arg(format!("{seconds}s"))
        .stdout(Stdio::null());
    if let Some(file) = record {
        command.arg("--record").arg(file);
    }
    let before = children_cpu();
    let start = Instant::now();
    let status = command.status().expect("run looptop");
    assert!(status.success());
    (children_cpu() - before) / start.elapsed().as_secs_f64()
}

/// CPU seconds of the children waited for so far.
fn children_cpu() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
