//! Snapshot tests of every pane, drawn with ratatui's TestBackend from a
//! fixed, deterministic state. A changed pane shows up as a snapshot diff.

use std::time::Duration;

use looptop::app::{Action, App, Choice, Effect, RunInfo};
use looptop::sampler::snapshot::{
    Bin, Cause, Culprit, Distribution, Latency, RuntimeSample, Sections, Stall, StallSample,
    Warning, WarningKind, WorkerSample,
};
use looptop::sampler::Snapshot;
use looptop::scenario;
use looptop::settings::{Group, Settings};
use looptop::taskdump::{DumpError, Frame as DumpFrame, Group as DumpGroup, TaskDump};
use looptop::ui;
use looptop::workload::chain::report::{ChainSample, StageSample};
use looptop::workload::many_tasks::report::ManyTasksSample;
use looptop::workload::many_tasks::Wake;
use looptop::workload::queue::report::QueueSample;
use looptop::workload::requests::knobs::Mode as RequestMode;
use looptop::workload::requests::report::RequestsSample;
use looptop::workload::threads_vs_tasks::report::{SideSample, ThreadsSample};
use looptop::workload::threads_vs_tasks::ThreadsVia;
use looptop::workload::timeouts::report::TimeoutsSample;
use looptop::workload::timeouts::CancelBy;
use looptop::workload::QueueSettings;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::{Frame, Terminal};

/// Tick `t` of a made-up run: a queue that fills and drains, two workers,
/// one busier than the other.
fn snapshot(t: u64) -> Snapshot {
    let wave = [0, 4, 10, 18, 30, 44, 56, 64, 64, 50, 36, 22, 12, 6, 2, 0];
    let depth = wave[t as usize % wave.len()];
    let stall = t.is_multiple_of(8);
    let mut s = Snapshot {
        tick: t,
        uptime_s: t as f64 * 0.25,
        interval_s: 0.25,
        runtime: RuntimeSample {
            workers: 2,
            alive_tasks: 8,
            spawned_per_s: Some(4.0),
            completed_per_s: Some(4.0),
            polls_per_s: Some(1480.0),
            busy_ratio: 0.41,
            global_queue_depth: 1,
            local_queue_depth: Some(3),
            blocking_threads: Some(1),
            idle_blocking_threads: Some(1),
            blocking_queue_depth: Some(0),
            forced_yields_per_s: Some(0.0),
            process_cpu_cores: Some(0.9),
            cores: 2,
        },
        workers: vec![
            WorkerSample {
                busy_ratio: 0.2 + (t % 5) as f64 * 0.1,
                polls_per_s: Some(800.0),
                parks_per_s: 300.0,
                steals_per_s: Some(40.0),
                local_queue_depth: Some(2),
                blocked_us: None,
                cpu_ratio: Some(0.3),
            },
            WorkerSample {
                // A worker blocked in a poll is all busy (see Observed).
                busy_ratio: if stall { 1.0 } else { 0.95 },
                polls_per_s: Some(680.0),
                parks_per_s: 12.0,
                steals_per_s: Some(3.0),
                local_queue_depth: Some(1),
                // Blocked right now on stall ticks, as the stalls say.
                blocked_us: stall.then_some(48_000.0),
                cpu_ratio: Some(0.9),
            },
        ],
        poll_times: Some(Distribution {
            count: 370,
            p50_us: 48.0,
            p90_us: 224.0,
            p99_us: 1_536.0,
            max_us: 12_288.0,
            max_exact: false,
            max_floor_us: 9_830.0,
            slow: 4,
            bins: [
                ("<10µs", 40),
                ("10-100µs", 190),
                ("0.1-1ms", 136),
                ("1-10ms", 3),
                ("10-100ms", 1),
                ("≥100ms", 0),
            ]
            .into_iter()
            .map(|(label, count)| Bin { label, count })
            .collect(),
        }),
        // A stall every eighth tick: p99 and max spike, then recover.
        schedule_delay: Some(Distribution {
            count: 360,
            p50_us: 16.0,
            p90_us: 64.0,
            p99_us: if stall { 8_192.0 } else { 512.0 },
            max_us: if stall { 16_384.0 } else { 786.0 },
            max_exact: false,
            max_floor_us: if stall { 13_107.0 } else { 629.0 },
            slow: if stall { 12 } else { 0 },
            bins: Vec::new(),
        }),
        sections: Sections::default(),
        // On stall ticks a worker is blocked right now.
        stalls: Some(StallSample {
            threshold_us: 10_000.0,
            long_polls: if stall { 1 } else { 0 },
            longest_ended_us: None,
            worst: stall.then(blocked_now),
            running: stall.then(blocked_now).into_iter().collect(),
            culprits: vec![
                Culprit {
                    location: "src/workload/queue/mod.rs:115".to_string(),
                    task: "consumer-0".to_string(),
                    count: 141,
                    longest_us: 48_000.0,
                    cause: Cause::Blocked,
                    syscall: Some("clock_nanosleep".to_string()),
                },
                Culprit {
                    location: "src/workload/queue/mod.rs:108".to_string(),
                    task: "producer-3".to_string(),
                    count: 2,
                    longest_us: 12_500.0,
                    cause: Cause::Computing,
                    syscall: None,
                },
            ],
        }),
        warnings: Vec::new(),
    };
    s.sections.put(QueueSample {
        depth,
        capacity: 64,
        produced_per_s: 361.0,
        consumed_per_s: 348.0,
        produced_total: 90 * t,
        consumed_total: 87 * t,
        producers: 4,
        consumers: 4,
        waiting_producers: 0,
        waiting_consumers: 1,
        pool_threads: 0,
    });
    s
}

/// Worker 1 in a 48 ms poll of consumer-0, still running.
fn blocked_now() -> Stall {
    Stall {
        task: "consumer-0".to_string(),
        location: "src/workload/queue/mod.rs:115".to_string(),
        worker: 1,
        duration_us: 48_000.0,
        running: true,
        cause: Cause::Blocked,
        syscall: Some("clock_nanosleep".to_string()),
        cpu_share: Some(0.0),
    }
}

/// The warnings a blocked worker raises.
fn warnings() -> Vec<Warning> {
    vec![
        Warning {
            kind: WarningKind::BlockedWorker,
            message: "worker 1 blocked 48ms so far in clock_nanosleep by consumer-0 (src/workload/queue/mod.rs:115)"
                .to_string(),
            advice: Cause::Blocked.advice().to_string(),
            since_s: 18.5,
            clearing: false,
        },
        Warning {
            kind: WarningKind::SchedulingDelay,
            message: "tasks wait ~42ms (p99) for a worker to poll them".to_string(),
            advice: "workers are blocked or overloaded: see Long polls and Workers".to_string(),
            since_s: 18.75,
            clearing: false,
        },
    ]
}

fn info() -> RunInfo {
    RunInfo::new("queue", 2, Duration::from_millis(250))
}

/// The queue scenario before its first tick, with the built-in scenarios
/// to pick from.
fn fresh() -> App {
    let scenarios = scenario::built_in().unwrap();
    let choices = scenarios.iter().map(|s| Choice::new(&s.name, s)).collect();
    App::new(
        info(),
        Settings::for_queue(QueueSettings::default()),
        scenarios[0].explain.clone(),
    )
    .with_scenarios(choices)
}

fn app() -> App {
    let mut app = fresh();
    for t in 1..=80 {
        app.record(snapshot(t));
    }
    app
}

fn render(width: u16, height: u16, draw: impl FnOnce(&mut Frame, Rect)) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| draw(frame, frame.area())).unwrap();
    terminal
}

#[test]
fn header() {
    let app = app();
    let t = render(80, 1, |f, area| ui::header::draw(f, area, &app));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn header_shows_paused() {
    let mut app = app();
    app.update(Action::TogglePause);
    let t = render(80, 1, |f, area| ui::header::draw(f, area, &app));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn header_shows_the_console_address() {
    let mut app = app();
    app.info.console = Some("127.0.0.1:6669".parse().unwrap());
    let t = render(100, 1, |f, area| ui::header::draw(f, area, &app));
    insta::assert_snapshot!(t.backend());
    app.info.console = Some("0.0.0.0:6669".parse().unwrap());
    let t = render(100, 1, |f, area| ui::header::draw(f, area, &app));
    insta::assert_snapshot!("header_console_not_loopback", t.backend());
}

#[test]
fn header_says_in_red_that_certificates_are_not_checked() {
    let mut app = app();
    app.info.insecure = true;
    let t = render(110, 1, |f, area| ui::header::draw(f, area, &app));
    insta::assert_snapshot!(t.backend());
    let cells = t.backend().buffer().content();
    let symbols: Vec<&str> = cells.iter().map(|c| c.symbol()).collect();
    let word: Vec<&str> = "--insecure".split("").filter(|s| !s.is_empty()).collect();
    let at = symbols
        .windows(word.len())
        .position(|w| w == word.as_slice())
        .expect("--insecure in the header");
    assert_eq!(cells[at].fg, ratatui::style::Color::Red);
}

#[test]
fn queue_pane() {
    let app = app();
    let t = render(60, 12, |f, area| {
        looptop::workload::queue::pane::draw(f, area, app.view())
    });
    insta::assert_snapshot!(t.backend());
}

#[test]
fn queue_pane_with_a_far_capacity_scales_to_the_depth() {
    let mut app = fresh();
    for t in 1..=80 {
        let mut s = snapshot(t);
        s.section_mut::<QueueSample>().unwrap().capacity = 1_000_000;
        app.record(s);
    }
    let t = render(60, 12, |f, area| {
        looptop::workload::queue::pane::draw(f, area, app.view())
    });
    insta::assert_snapshot!(t.backend());
}

#[test]
fn schedule_delay_pane() {
    let app = app();
    let t = render(62, 5, |f, area| {
        ui::schedule_pane::draw(f, area, app.view())
    });
    insta::assert_snapshot!(t.backend());
}

#[test]
fn long_polls_pane_shows_a_worker_blocked_now_and_the_culprits() {
    let app = app();
    let t = render(38, 6, |f, area| ui::stalls_pane::draw(f, area, app.view()));
    insta::assert_snapshot!(t.backend());
    // Narrower, the paths lose their directories, never the figures.
    let t = render(30, 6, |f, area| ui::stalls_pane::draw(f, area, app.view()));
    insta::assert_snapshot!("long_polls_pane_narrow", t.backend());
}

#[test]
fn long_polls_pane_names_every_worker_held_now() {
    let held = |worker: usize, task: &str, ms: f64| Stall {
        worker,
        task: task.to_string(),
        duration_us: ms * 1_000.0,
        ..blocked_now()
    };
    let mut app = fresh();
    let mut both = snapshot(8);
    let stalls = both.stalls.as_mut().unwrap();
    stalls.running = vec![held(0, "consumer-1", 166.0), held(1, "consumer-0", 299.0)];
    app.record(both);
    let t = render(60, 6, |f, area| ui::stalls_pane::draw(f, area, app.view()));
    insta::assert_snapshot!(t.backend());

    // Past three, a count.
    let mut many = snapshot(9);
    many.stalls.as_mut().unwrap().running = (0..5)
        .map(|w| held(w, &format!("job-{w}"), 100.0 + w as f64))
        .collect();
    app.record(many);
    let t = render(60, 6, |f, area| ui::stalls_pane::draw(f, area, app.view()));
    insta::assert_snapshot!("long_polls_pane_counts_past_three_held", t.backend());
}

#[test]
fn long_polls_pane_says_none_when_nothing_stalled() {
    let mut app = fresh();
    let mut calm = snapshot(1);
    calm.stalls = Some(StallSample {
        threshold_us: 10_000.0,
        ..StallSample::default()
    });
    app.record(calm);
    let t = render(38, 4, |f, area| ui::stalls_pane::draw(f, area, app.view()));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn a_warning_no_longer_seen_says_its_figures_are_from_before() {
    let mut warnings = warnings();
    warnings[1].clearing = true;
    let t = render(200, 2, |f, area| {
        ui::warnings::draw(f, area, None, &warnings)
    });
    insta::assert_snapshot!(t.backend());
    let buffer = t.backend().buffer();
    let row = |y: u16| {
        (0..200)
            .map(|x| buffer[(x, y)].symbol())
            .collect::<String>()
    };
    assert!(row(0).starts_with("▲ worker 1 blocked"), "{}", row(0));
    assert!(row(1).starts_with("△ was: tasks wait ~42ms"), "{}", row(1));
    assert_eq!(
        buffer[(0, 1)].fg,
        Color::Gray,
        "greyed, not the warning red"
    );
}

#[test]
fn warnings_feed() {
    let warnings = warnings();
    let t = render(200, 2, |f, area| {
        ui::warnings::draw(f, area, None, &warnings)
    });
    insta::assert_snapshot!(t.backend());
    assert_eq!(ui::warnings::height(None, &warnings, 200), 2, "a line each");
    // Narrower, the advice takes a line of its own.
    let t = render(80, 4, |f, area| {
        ui::warnings::draw(f, area, None, &warnings)
    });
    insta::assert_snapshot!("warnings_feed_narrow", t.backend());
    assert_eq!(ui::warnings::height(None, &warnings, 80), 4);
    // More warnings than rows: the last shown counts the rest.
    let three = [warnings.clone(), warnings[..1].to_vec()].concat();
    assert_eq!(ui::warnings::height(None, &three, 80), 4);
    let t = render(80, 4, |f, area| ui::warnings::draw(f, area, None, &three));
    insta::assert_snapshot!("warnings_feed_counts_the_hidden", t.backend());
    assert_eq!(
        ui::warnings::height(None, &[], 80),
        0,
        "no room taken when all is well"
    );
}

/// A four-stage pipeline whose third stage is the bottleneck.
fn chain_sample() -> ChainSample {
    let stage = |depth, per_s, busy_ratio| StageSample {
        depth,
        capacity: 16,
        per_s,
        busy_ratio,
    };
    ChainSample {
        produced_per_s: 200.0,
        done_per_s: 185.0,
        in_pipeline: 40,
        latency: Latency {
            count: 46,
            p50_us: 27_000.0,
            p99_us: 61_000.0,
            max_us: 64_000.0,
            ..Latency::default()
        },
        fanout: 4,
        fanout_concurrent: true,
        stages: vec![
            stage(0, 200.0, 0.08),
            stage(3, 199.0, 0.41),
            stage(16, 186.0, 0.98),
            stage(0, 185.0, 0.07),
        ],
    }
}

/// Requests with a deadline, cancelled by select.
fn timeouts_sample() -> TimeoutsSample {
    TimeoutsSample {
        mode: CancelBy::Select,
        started_per_s: 360.0,
        finished_per_s: 280.0,
        timed_out_per_s: 0.0,
        cancelled_per_s: 70.0,
        finished_total: 5_600,
        timed_out_total: 0,
        cancelled_total: 1_400,
        latency: Latency {
            count: 70,
            p50_us: 20_000.0,
            p99_us: 58_000.0,
            max_us: 59_000.0,
            ..Latency::default()
        },
        first_result: Latency {
            count: 8,
            p50_us: 2_200.0,
            p99_us: 9_000.0,
            max_us: 9_000.0,
            ..Latency::default()
        },
    }
}

/// 10,000 jobs a side, more than the machine's cores can serve.
fn threads_sample() -> ThreadsSample {
    ThreadsSample {
        jobs: 10_000,
        tasks: SideSample {
            running: 10_000,
            iterations_per_s: 16_480.0,
            resident_per_job: Some(1_180),
            measured_over: 9_900,
            cpu_cores: Some(0.35),
            cpu_per_job_us: Some(21.2),
        },
        threads: SideSample {
            running: 10_000,
            iterations_per_s: 49_430.0,
            resident_per_job: None,
            measured_over: 0,
            cpu_cores: Some(1.60),
            cpu_per_job_us: Some(32.4),
        },
        threads_via: ThreadsVia::StdThread,
        thread_error: None,
        thread_cap: 10_000,
        thread_cap_reason: "half of kernel.pid_max (32768), less the 9 threads running".into(),
        thread_failures: 0,
        os_threads: 10_005,
        rss_bytes: 112 * 1024 * 1024,
        stack_reserved_bytes: 256 * 1024,
        cpu_demand_cores: 20.0,
        cores: 2,
    }
}

/// Tick `t` of a crawl of the embedded site, a little faster each tick.
fn crawl_sample(t: u64) -> RequestsSample {
    RequestsSample {
        mode: RequestMode::Crawl,
        concurrency: 16,
        target: "http://127.0.0.1:41234".to_string(),
        sent_per_s: 3_000.0 + 100.0 * t as f64,
        ok_per_s: 2_950.0 + 100.0 * t as f64,
        in_flight: 16,
        latency: Latency {
            count: 750,
            p50_us: 3_100.0,
            p90_us: 4_300.0,
            p99_us: 5_900.0,
            p999_us: 9_400.0,
            max_us: 12_000.0,
        },
        sent: 60_000,
        ok: 59_350,
        redirects: 0,
        client_errors: 0,
        server_errors: 600,
        timeouts: 40,
        connect_errors: 0,
        other_errors: 0,
        too_large: 0,
        cancelled: 0,
        shed: 0,
        pages_crawled: 59_350,
        links_found: 296_750,
        crawls: 59,
        last_crawl_pages: 1_000,
        out_of_files: 0,
        open_files_limit: Some(1_024),
        backing_off: 0,
        site_cpu_cores: Some(0.45),
        site_connections: Some(16),
    }
}

#[test]
fn pipeline_pane_marks_the_slowest_stage() {
    let mut app = fresh();
    let mut s = snapshot(1);
    s.sections.remove::<QueueSample>();
    s.sections.put(chain_sample());
    app.record(s);
    let t = render(62, 7, |f, area| {
        looptop::workload::chain::pane::draw(f, area, app.view())
    });
    insta::assert_snapshot!(t.backend());
}

#[test]
fn timeouts_pane() {
    let mut app = fresh();
    let mut s = snapshot(1);
    s.sections.remove::<QueueSample>();
    s.sections.put(timeouts_sample());
    app.record(s);
    let t = render(62, 7, |f, area| {
        looptop::workload::timeouts::pane::draw(f, area, app.view())
    });
    insta::assert_snapshot!(t.backend());
}

#[test]
fn threads_vs_tasks_pane() {
    let mut app = fresh();
    let mut s = snapshot(1);
    s.sections.remove::<QueueSample>();
    s.sections.put(threads_sample());
    app.record(s);
    let t = render(62, 14, |f, area| {
        looptop::workload::threads_vs_tasks::pane::draw(f, area, app.view())
    });
    insta::assert_snapshot!(t.backend());
}

#[test]
fn mixed_stacks_a_pane_per_workload_and_heads_the_knobs() {
    let mixed = scenario::load("mixed").unwrap();
    let mut app = App::new(info(), mixed.settings.clone(), mixed.explain.clone());
    app.info.scenario = mixed.name.clone();
    let mut s = snapshot(1);
    s.sections.put(chain_sample());
    app.record(s);
    let t = render(100, 40, |f, _| ui::draw(f, &app));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn requests_pane_while_crawling() {
    let mut app = fresh();
    for t in 1..=20 {
        let mut s = snapshot(t);
        s.sections.remove::<QueueSample>();
        s.sections.put(crawl_sample(t));
        app.record(s);
    }
    let t = render(100, 8, |f, area| {
        looptop::workload::requests::pane::draw(f, area, app.view())
    });
    insta::assert_snapshot!(t.backend());
}

#[test]
fn requests_pane_shows_requesters_waiting_to_retry() {
    let mut app = fresh();
    let mut s = snapshot(1);
    s.sections.remove::<QueueSample>();
    s.sections.put(RequestsSample {
        mode: RequestMode::Closed,
        concurrency: 2_000,
        target: "http://127.0.0.1:41234".to_string(),
        sent_per_s: 4_100.0,
        ok_per_s: 1_900.0,
        in_flight: 500,
        sent: 31_000,
        ok: 14_000,
        connect_errors: 17_000,
        out_of_files: 17_000,
        open_files_limit: Some(1_024),
        backing_off: 1_480,
        ..RequestsSample::default()
    });
    app.record(s);
    let t = render(100, 6, |f, area| {
        looptop::workload::requests::pane::draw(f, area, app.view())
    });
    insta::assert_snapshot!(t.backend());
}

#[test]
fn the_chain_scenario_shows_only_its_stages_knobs() {
    let chain = scenario::load("chain").unwrap();
    let mut app = App::new(info(), chain.settings.clone(), chain.explain.clone());
    app.info.scenario = chain.name.clone();
    let mut s = snapshot(1);
    s.sections.remove::<QueueSample>();
    s.sections.put(chain_sample());
    app.record(s);
    let t = render(100, 30, |f, _| ui::draw(f, &app));
    insta::assert_snapshot!(t.backend());
    // 7 pipeline knobs, wait and CPU for 4 of the 8 stages, the stall threshold.
    let shown = app
        .settings
        .knobs()
        .filter(|(k, _)| app.settings.is_shown(*k));
    assert_eq!(shown.count(), 7 + 2 * 4 + 1);
    for _ in 0..20 {
        app.update(Action::SelectNext);
        let knob = app.selected_knob().unwrap();
        assert!(app.settings.is_shown(knob), "selection skips hidden knobs");
    }
}

#[test]
fn a_scenario_that_would_not_load_is_a_notice_above_the_warnings() {
    let mut app = app();
    app.notice = Some(
        "my.toml, line 3: `consumers` must be a whole number from 0 to 1024, got 5000".to_string(),
    );
    let t = render(100, 30, |f, _| ui::draw(f, &app));
    insta::assert_snapshot!(t.backend());
    app.update(Action::Cancel);
    assert_eq!(
        (app.notice.as_deref(), app.quit),
        (None, false),
        "Esc dismisses it"
    );
}

#[test]
fn tasks_pane() {
    let app = app();
    let t = render(34, 12, |f, area| ui::tasks_pane::draw(f, area, &app));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn poll_times_pane() {
    let app = app();
    let t = render(34, 11, |f, area| ui::poll_pane::draw(f, area, app.view()));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn workers_pane() {
    let app = app();
    let t = render(40, 6, |f, area| ui::workers_pane::draw(f, area, app.view()));
    insta::assert_snapshot!(t.backend());
}

/// Tick `t` as a runtime built without `tokio_unstable` gives it: what
/// stable tokio does not count is not measured.
fn stable_snapshot(t: u64) -> Snapshot {
    let mut s = snapshot(t);
    let rt = &mut s.runtime;
    (rt.spawned_per_s, rt.completed_per_s, rt.polls_per_s) = (None, None, None);
    (rt.local_queue_depth, rt.blocking_threads) = (None, None);
    (rt.idle_blocking_threads, rt.blocking_queue_depth) = (None, None);
    rt.forced_yields_per_s = None;
    for w in &mut s.workers {
        (w.polls_per_s, w.steals_per_s, w.local_queue_depth) = (None, None, None);
        w.blocked_us = None;
    }
    (s.poll_times, s.schedule_delay, s.stalls) = (None, None, None);
    s
}

#[test]
fn on_stable_tokio_the_panes_say_what_is_not_measured() {
    let mut app = fresh();
    for t in 1..=80 {
        app.record(stable_snapshot(t));
    }
    let panes = [
        render(34, 12, |f, area| ui::tasks_pane::draw(f, area, &app)),
        render(40, 6, |f, area| ui::workers_pane::draw(f, area, app.view())),
        render(34, 5, |f, area| ui::poll_pane::draw(f, area, app.view())),
        render(34, 5, |f, area| {
            ui::schedule_pane::draw(f, area, app.view())
        }),
        render(34, 5, |f, area| ui::stalls_pane::draw(f, area, app.view())),
    ];
    let text: Vec<String> = panes.iter().map(|t| t.backend().to_string()).collect();
    insta::assert_snapshot!(text.join("\n"));
    for pane in &text[2..] {
        assert!(pane.contains("not measured"), "{pane}");
        assert!(
            !pane.contains("none"),
            "no long polls is not claimed: {pane}"
        );
    }
}

#[test]
fn workers_pane_with_more_workers_than_rows() {
    let mut app = app();
    let mut many = snapshot(81);
    many.workers = (0..12)
        .map(|i| WorkerSample {
            busy_ratio: i as f64 / 12.0,
            ..WorkerSample::default()
        })
        .collect();
    app.record(many);
    let t = render(40, 6, |f, area| ui::workers_pane::draw(f, area, app.view()));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn controls_pane_highlights_the_selected_knob() {
    let mut app = app();
    app.update(Action::SelectNext);
    let t = render(30, 8, |f, area| ui::controls_pane::draw(f, area, &app));
    insta::assert_snapshot!(t.backend());
    // Text alone cannot show the highlight: check the selected row's colour.
    let buffer = t.backend().buffer();
    let row_bg = |y: u16| buffer[(5, y)].bg;
    assert_eq!(row_bg(2), Color::Cyan, "consumers (row 2) is selected");
    assert_ne!(row_bg(1), Color::Cyan);
}

#[test]
fn controls_pane_of_a_read_only_source_shows_values_only() {
    let app = app().read_only();
    let t = render(30, 8, |f, area| ui::controls_pane::draw(f, area, &app));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn hints_line() {
    let t = render(80, 1, |f, area| ui::hints::draw(f, area, false));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn whole_dashboard() {
    let app = app();
    let t = render(100, 30, |f, _| ui::draw(f, &app));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn whole_dashboard_with_warnings() {
    let mut app = app();
    let mut latest = snapshot(81);
    latest.warnings = warnings();
    app.record(latest);
    let t = render(100, 30, |f, _| ui::draw(f, &app));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn whole_dashboard_at_minimum_size() {
    let app = app();
    let t = render(ui::MIN_WIDTH, ui::MIN_HEIGHT, |f, _| ui::draw(f, &app));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn help_overlay() {
    let mut app = app();
    app.update(Action::ToggleHelp);
    let t = render(100, 30, |f, _| ui::draw(f, &app));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn scenario_picker() {
    let mut app = app();
    app.update(Action::OpenPicker);
    app.update(Action::SelectNext);
    let t = render(100, 30, |f, _| ui::draw(f, &app));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn scenario_picker_at_80_columns_wraps_between_words() {
    let mut app = app();
    app.update(Action::OpenPicker);
    let t = render(80, 24, |f, _| ui::draw(f, &app));
    insta::assert_snapshot!(t.backend());
}

/// A dump of the queue scenario with its queue full.
fn full_queue_dump() -> TaskDump {
    let frame = |function: &str, location: &str| DumpFrame {
        function: function.to_string(),
        location: Some(location.to_string()),
    };
    TaskDump {
        tasks: 68,
        took_us: 95_000.0,
        held: Vec::new(),
        groups: vec![
            DumpGroup {
                count: 64,
                names: vec!["producer-*".to_string()],
                leaf: Some("NotifiedProject::poll_notified".to_string()),
                frames: vec![
                    frame("BoundedQueue::push", "src/workload/bounded_queue.rs:74"),
                    frame("queue::produce", "src/workload/queue/mod.rs:150"),
                ],
                trace: "╼ looptop::workload::queue::produce::{{closure}} at src/workload/queue/mod.rs:150:40\n  └╼ looptop::workload::bounded_queue::BoundedQueue<T>::push::{{closure}} at src/workload/bounded_queue.rs:74:13".to_string(),
            },
            DumpGroup {
                count: 4,
                names: vec!["consumer-*".to_string()],
                leaf: Some("Sleep::poll_elapsed".to_string()),
                frames: vec![frame("queue::consume", "src/workload/queue/mod.rs:188")],
                trace: String::new(),
            },
        ],
    }
}

#[test]
fn task_dump_panel_groups_tasks_by_where_they_wait() {
    let mut app = app();
    assert_eq!(app.update(Action::TaskDump), Some(Effect::TakeDump));
    let t = render(100, 30, |f, _| ui::draw(f, &app));
    assert!(format!("{:?}", t.backend()).contains("taking a dump"));
    app.dump_taken(Ok(full_queue_dump()));
    app.update(Action::SelectNext);
    let t = render(100, 30, |f, _| ui::draw(f, &app));
    insta::assert_snapshot!(t.backend());
    app.update(Action::SelectPrevious);
    app.update(Action::Confirm);
    let t = render(100, 30, |f, _| ui::draw(f, &app));
    insta::assert_snapshot!("task_dump_panel_whole_trace", t.backend());
    app.update(Action::Cancel);
    app.update(Action::Cancel);
    assert_eq!(app.dump, None, "Esc twice closes it");
}

#[test]
fn a_task_dump_that_times_out_names_the_blocked_worker() {
    let mut app = app();
    // Tick 80 of the made-up run has worker 1 blocked by consumer-0.
    app.update(Action::TaskDump);
    app.dump_taken(Err(DumpError::TimedOut {
        waited_us: 1_000_000.0,
        blocking: Vec::new(),
    }));
    let t = render(100, 30, |f, _| ui::draw(f, &app));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn explanation_panel() {
    let mut app = app();
    app.update(Action::ToggleExplain);
    let t = render(100, 30, |f, _| ui::draw(f, &app));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn too_small_says_so() {
    let app = app();
    let t = render(60, 20, |f, _| ui::draw(f, &app));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn before_the_first_tick() {
    let app = fresh();
    let t = render(100, 30, |f, _| ui::draw(f, &app));
    insta::assert_snapshot!(t.backend());
}

/// Tick `t` of `settings`' scenario: a sample for each workload it runs.
fn scenario_snapshot(settings: &Settings, t: u64) -> Snapshot {
    let mut s = snapshot(t);
    let runs = |group| settings.workloads().contains(&group);
    if !runs(Group::Queue) {
        s.sections.remove::<QueueSample>();
    }
    if runs(Group::Chain) {
        s.sections.put(chain_sample());
    }
    if runs(Group::Timeouts) {
        s.sections.put(timeouts_sample());
    }
    if runs(Group::ThreadsVsTasks) {
        s.sections.put(threads_sample());
    }
    if runs(Group::Requests) {
        s.sections.put(crawl_sample(t));
    }
    if runs(Group::ManyTasks) {
        s.sections.put(many_tasks_sample(t));
    }
    s
}

/// Tasks climbing 12,500 a tick to 100,000, waking spread out, with a
/// late one now and then.
fn many_tasks_sample(t: u64) -> ManyTasksSample {
    let alive = (t * 12_500).min(100_000);
    let late = t.is_multiple_of(10);
    ManyTasksSample {
        asked: 100_000,
        alive,
        ramp_per_s: 50_000,
        wake: Wake::Spread,
        wakes_per_s: alive as f64 / 10.0,
        late_mean_us: Some(if late { 900.0 } else { 560.0 }),
        late_max_us: Some(if late { 4_800.0 } else { 1_100.0 }),
        resident_per_task: (t > 1).then_some(352),
        measured_over: (alive - 12_500).min(87_500),
        rss_bytes: 40_000_000 + 352 * alive,
    }
}

/// Every built-in scenario at the smallest size, a laptop's and a large
/// monitor's: each pane has the rows its content needs, the charts the rest.
#[test]
fn every_scenario_at_every_size() {
    for scenario in scenario::built_in().unwrap() {
        let mut app = App::new(info(), scenario.settings.clone(), scenario.explain.clone());
        app.info.scenario = scenario.name.clone();
        for t in 1..=80 {
            app.record(scenario_snapshot(&scenario.settings, t));
        }
        for (width, height) in [(80, 24), (120, 40), (200, 60)] {
            let t = render(width, height, |f, _| ui::draw(f, &app));
            let name = format!("{}_{width}x{height}", scenario.name);
            insta::assert_snapshot!(name, t.backend());
        }
    }
}

/// A replay draws what the live run drew from the same ticks: every
/// scenario's ticks written to a recording, read back and replayed to the
/// end, against the live app that recorded them (read-only too, so the
/// controls are titled alike). Only the header's right end and the key
/// hints (a replay's arrows move through time) differ.
#[test]
fn a_replay_draws_the_frames_the_live_run_drew() {
    use looptop::recording::{Header, Recorder, Recording};
    let dir = std::env::temp_dir().join(format!("looptop-panes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for scenario in scenario::built_in().unwrap() {
        let mut live = App::new(info(), scenario.settings.clone(), scenario.explain.clone());
        live = live.read_only();
        live.info.scenario = scenario.name.clone();
        let file = dir.join(format!("{}.jsonl", scenario.name));
        let header = Header::new(&scenario.name, 2, 0.25, &scenario.settings);
        let mut recorder = Recorder::create(&file, 1 << 30, &header).unwrap();
        for t in 1..=80 {
            let tick = scenario_snapshot(&scenario.settings, t);
            assert_eq!(recorder.tick(&tick), None);
            live.record(tick);
        }
        let recording = Recording::load(&file).unwrap();
        let mut replay = App::replay(info(), recording, 1.0, scenario.explain.clone());
        for _ in 1..80 {
            replay.advance();
        }
        let (width, height) = (120, 40);
        let live_frame = render(width, height, |f, _| ui::draw(f, &live));
        let replay_frame = render(width, height, |f, _| ui::draw(f, &replay));
        let (live_frame, replay_frame) = (
            live_frame.backend().buffer(),
            replay_frame.backend().buffer(),
        );
        let header_end = 80;
        for y in 0..height - 1 {
            for x in 0..width {
                if y == 0 && x >= header_end {
                    continue;
                }
                assert_eq!(
                    live_frame[(x, y)],
                    replay_frame[(x, y)],
                    "{}: at ({x}, {y})",
                    scenario.name
                );
            }
        }
        if scenario.name == "mixed" {
            let t = render(width, height, |f, _| ui::draw(f, &replay));
            insta::assert_snapshot!("replay_of_mixed", t.backend());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Paused and ten seconds back: the header says how far, and the charts end
/// there, labelled so rather than "now".
#[test]
fn rewound_the_charts_end_at_the_cursor_and_say_so() {
    let mut app = app();
    app.update(Action::TogglePause);
    app.update(Action::Decrease { big: true });
    let t = render(100, 30, |f, _| ui::draw(f, &app));
    insta::assert_snapshot!(t.backend());
    let screen = format!("{:?}", t.backend());
    assert!(screen.contains("PAUSED -10.0s"), "{screen}");
    let axis = screen
        .lines()
        .find(|l| l.contains("│-20s"))
        .expect("the queue chart's axis");
    assert!(axis.contains("-10.0s││"), "its right edge: {axis}");
    assert!(!screen.contains("now│"), "no chart ends now: {screen}");
}
