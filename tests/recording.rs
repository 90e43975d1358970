//! Recordings, end to end: written by the real binary (and by a run in
//! this process, with knob changes), read back, replayed; and every kind of
//! bad file refused in one line.

#[path = "support/run.rs"]
mod run;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use looptop::app::Effect;
use looptop::observed::Observed;
use looptop::recording::{Change, Header, Recorder, Recording};
use looptop::settings::{Settings, STALL_THRESHOLD};
use looptop::workload::QueueKnob;

/// A folder of this test's own.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("looptop-rec-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn replay(file: &Path) -> std::process::Output {
    run::looptop(&["replay", file.to_str().unwrap(), "--headless"])
}

#[test]
fn a_recording_holds_every_tick_and_knob_change_as_the_run_had_them() {
    let file = folder("roundtrip").join("run.jsonl");
    let settings = Settings::defaults(&looptop::settings::Group::WORKLOADS);
    let mut observed = Observed::start(2, &settings).unwrap();
    let header = Header::new("all", 2, 0.1, &settings);
    let mut recorder = Recorder::create(&file, 1 << 30, &header).unwrap();
    let consumers = QueueKnob::Consumers.into();
    let mut live = Vec::new();
    for tick in 0..8 {
        std::thread::sleep(Duration::from_millis(100));
        let snapshot = observed.sample();
        assert_eq!(recorder.tick(&snapshot), None);
        live.push(snapshot);
        if tick == 3 {
            observed.apply(Effect::SetKnob(consumers, 9)).unwrap();
            assert_eq!(recorder.change(&Change::Knob(consumers, 9)), None);
        }
    }
    drop(observed);
    let recording = Recording::load(&file).unwrap();
    assert_eq!(recording.header, header);
    assert_eq!(recording.settings, settings);
    assert_eq!(recording.ticks.len(), live.len());
    for (i, (read, mut had)) in recording.ticks.iter().zip(live).enumerate() {
        // Not recorded: only the sampler uses it, to refine the maximum.
        for d in [&mut had.poll_times, &mut had.schedule_delay] {
            d.as_mut().unwrap().max_floor_us = 0.0;
        }
        assert!(
            *read == had,
            "tick {i}: every figure, every section, read back"
        );
    }
    assert_eq!(recording.changes, vec![(4, Change::Knob(consumers, 9))]);
    assert_eq!(recording.settings_at(3).1.get(consumers), Some(4));
    assert_eq!(recording.settings_at(4).1.get(consumers), Some(9));
}

#[test]
fn bad_recordings_are_refused_in_one_line_that_says_what_and_where() {
    let dir = folder("bad");
    let good = dir.join("good.jsonl");
    let run = run::looptop(&[
        "--headless",
        "--duration",
        "1s",
        "--record",
        good.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let good_text = std::fs::read_to_string(&good).unwrap();
    let lines: Vec<&str> = good_text.lines().collect();
    assert!(lines.len() >= 4, "a header and ticks: {}", lines.len());
    let future = good_text.replacen("\"looptop_recording\":1", "\"looptop_recording\":7", 1);
    let cut = &good_text[..good_text.len() - 40];
    let headless_output = lines[1..].join("\n") + "\n";
    let cases: [(&str, &[u8], &[&str]); 5] = [
        ("empty", b"", &["empty", "not a looptop recording"]),
        (
            "binary",
            &[0x89, b'P', b'N', b'G', 0xff, 0, 1, 2],
            &["binary", "not a looptop recording"],
        ),
        (
            "foreign",
            headless_output.as_bytes(),
            &[":1:", "no header line"],
        ),
        (
            "future",
            future.as_bytes(),
            &[":1:", "version 7", "newer looptop"],
        ),
        ("cut", cut.as_bytes(), &["cut off mid-line"]),
    ];
    for (name, bytes, says) in cases {
        let file = dir.join(format!("{name}.jsonl"));
        std::fs::write(&file, bytes).unwrap();
        let out = replay(&file);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(stderr.contains(file.to_str().unwrap()), "{name}: {stderr}");
        for said in says {
            assert!(stderr.contains(said), "{name}: {stderr} lacks {said:?}");
        }
        assert!(out.stdout.is_empty(), "{name}: nothing replayed");
    }
    let cut_at = cut.lines().count();
    let out = replay(&dir.join("cut.jsonl"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(":{cut_at}:")),
        "the cut line: {stderr}"
    );
    // The good one replays, byte for byte what the run printed.
    let replayed = replay(&good);
    assert!(replayed.status.success());
    assert!(
        replayed.stdout == run.stdout,
        "the replay printed other lines"
    );
}

#[test]
fn a_run_killed_outright_leaves_a_recording_that_replays_to_its_last_tick() {
    let file = folder("killed").join("run.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_looptop"))
        .args(["--headless", "--tick", "50ms", "--record"])
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(&file).map_or(0, |t| t.lines().count()) < 20 {
        assert!(Instant::now() < deadline, "no ticks recorded");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: nothing is flushed or closed
    child.wait().unwrap();
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.ends_with('\n'), "whole lines only");
    let out = replay(&file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let replayed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(replayed.lines().count(), written.lines().count() - 1);
    assert_eq!(replayed.lines().last(), written.lines().last());
}

#[test]
fn the_flight_recorder_keeps_the_minute_around_a_warning_and_nothing_else() {
    let dir = folder("flight");
    // One consumer for 400 items a second: calm while the queue fills
    // (about 4 s), then producers wait for room.
    let out = run::looptop(&[
        "--headless",
        "--duration",
        "7s",
        "--consumers",
        "1",
        "--capacity",
        "1000",
        "--record-on-warning",
        dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}: {stderr}");
    let name = files[0].file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with("looptop-") && name.ends_with(".jsonl"),
        "{name}"
    );
    assert!(
        stderr.contains("a warning began") && stderr.contains(name),
        "{stderr}"
    );
    let recording = Recording::load(&files[0]).unwrap();
    let warned = |s: &looptop::sampler::Snapshot| !s.warnings.is_empty();
    let first = recording
        .ticks
        .iter()
        .position(warned)
        .expect("the warning");
    let kind = recording.ticks[first].warnings[0].kind;
    assert!(name.contains(kind.name()), "{name} names {kind:?}");
    // From the start (less than a minute before), to the end of the run.
    assert_eq!(recording.ticks[0].tick, 1, "the ticks before the warning");
    assert!(first > 0, "calm before the warning");
    assert!(recording.ticks.last().unwrap().uptime_s > 6.0, "to the end");
    assert_eq!(
        recording.settings_at(0).1.get(STALL_THRESHOLD),
        Some(10_000),
        "the knobs as they were"
    );
}
