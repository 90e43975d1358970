//! End-to-end tests of the dashboard: the real binary in a pseudo-terminal,
//! keys typed, the screen read back.

mod support;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use support::pty::{number_after, Tui};

const RIGHT_SHIFT: &str = "\x1b[1;2C";

fn uptime_seconds(screen: &str) -> Option<u64> {
    let start = screen.find("up ")? + 3;
    let clock: Vec<u64> = screen[start..]
        .split_whitespace()
        .next()?
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    Some(clock.iter().fold(0, |acc, part| acc * 60 + part))
}

/// The Tasks pane's "polls" row (the workers pane says "polls" mid-line).
fn polls_per_second(screen: &str) -> Option<f64> {
    let line = screen.lines().find(|l| l.contains("│polls"))?;
    number_after(&line[line.find("│polls")?..], "│polls")
}

#[test]
fn every_pane_appears_with_numbers_that_change() {
    let tui = Tui::start(&[], 100, 30);
    let first = tui.wait_for_dashboard();
    for label in [
        "looptop",
        "scenario queue",
        "alive tasks",
        "p50",
        "w0",
        "producers",
        "I/O wait",
        "quit",
    ] {
        assert!(first.contains(label), "missing {label:?} in:\n{first}");
    }
    let first_polls = polls_per_second(&first).expect("a polls/s figure");
    let first_up = uptime_seconds(&first).expect("an uptime");
    let later = tui.wait_for("uptime to advance and figures to change", |s| {
        uptime_seconds(s).is_some_and(|up| up >= first_up + 2)
            && polls_per_second(s).is_some_and(|p| p != first_polls)
    });
    assert!(
        number_after(&later, "in ").unwrap() > 0.0,
        "items are being produced:\n{later}"
    );
}

#[test]
fn raising_producers_with_keys_raises_the_produce_rate() {
    // Plenty of fast consumers and room in the queue, so production is limited
    // only by the number of producers.
    let args = [
        "--producers",
        "1",
        "--produce-interval",
        "10ms",
        "--consumers",
        "64",
        "--io-wait",
        "1ms",
        "--cpu-work",
        "0",
        "--capacity",
        "100000",
    ];
    let mut tui = Tui::start(&args, 100, 30);
    tui.wait_for("one producer at work", |s| {
        number_after(s, "in ").is_some_and(|r| r > 20.0)
    });
    let before = number_after(&tui.screen(), "in ").unwrap();
    tui.send(RIGHT_SHIFT); // producers is the selected knob: +10
    tui.wait_for("the controls to show 11 producers", |s| {
        s.contains(" 11/11·")
    });
    let after = tui.wait_for("the produce rate to rise", |s| {
        number_after(s, "in ").is_some_and(|r| r > before * 4.0)
    });
    assert!(after.contains("▶ producers"), "{after}");
}

#[test]
fn selecting_and_lowering_a_knob_shows_the_new_value() {
    let mut tui = Tui::start(&[], 100, 30);
    tui.wait_for_dashboard();
    tui.send("jj"); // producers → consumers → capacity
    tui.send("h"); // 64 → 50 on the 1-2-5 ladder
    tui.wait_for("capacity 50 in the controls and the queue pane", |s| {
        s.contains("▶ capacity") && s.contains("/50 ")
    });
}

/// The value the controls pane shows beside the selected knob `label`.
fn selected_value(screen: &str, label: &str) -> Option<String> {
    let marker = format!("▶ {label}");
    let line = screen.lines().find(|l| l.contains(&marker))?;
    let rest = &line[line.find(&marker)? + marker.len()..];
    Some(rest.split('│').next()?.trim().to_string())
}

#[test]
fn d_puts_a_changed_knob_back_to_its_default() {
    let mut tui = Tui::start(&[], 100, 30);
    tui.wait_for_dashboard();
    tui.send("jj"); // producers → consumers → capacity, 64 by default
    tui.send("L"); // a big step: 640
    tui.wait_for("capacity 640 in the controls and the queue pane", |s| {
        selected_value(s, "capacity").as_deref() == Some("640") && s.contains("/640 ")
    });
    tui.send("d");
    tui.wait_for("capacity back to 64 in both", |s| {
        selected_value(s, "capacity").as_deref() == Some("64") && s.contains("/64 ")
    });
}

#[test]
fn turning_blocking_on_names_the_culprit_and_offloading_clears_it() {
    let mut tui = Tui::start(&["--io-wait", "20ms"], 100, 30);
    let calm = tui.wait_for_dashboard();
    assert!(!calm.contains("▲"), "no warnings at the start:\n{calm}");
    tui.send("kkk"); // producers → stall at → offload → blocking
    tui.send("l"); // 0% → 25%: one consumer sleeps on its worker
    let blocked = tui.wait_for("a blocked-worker warning and the culprit", |s| {
        s.contains("▲ worker") && s.contains("queue/mod.rs:") && s.contains("consumer-0")
    });
    assert!(blocked.contains("▶ blocking"), "{blocked}");
    tui.send("j"); // offload
    tui.send("l"); // off → spawn_blocking
    tui.wait_for("the warning to clear once the sleep is offloaded", |s| {
        // Gone, not only greyed as it lingers ("△ was: worker ...").
        s.contains("spawn_blocking") && !s.contains("▲ worker") && !s.contains("was: worker")
    });
}

#[cfg(taskdumps)]
#[test]
fn t_dumps_every_task_and_esc_closes_it() {
    let mut tui = Tui::start(&["--producers", "64"], 120, 40);
    tui.wait_for_dashboard();
    tui.send("t");
    let dump = tui.wait_for("the producers grouped in the task dump", |s| {
        s.contains("Task dump:") && s.contains("64  producer-*") && s.contains("BoundedQueue::push")
    });
    assert!(dump.contains("tasks in"), "{dump}");
    tui.send("\r"); // the biggest group's whole trace
    tui.wait_for("the producers' whole trace", |s| {
        s.contains("Task dump: producer-* (64)") && s.contains("Esc: back to the groups")
    });
    tui.send("\x1b");
    tui.wait_for("the groups again", |s| s.contains("tasks in"));
    tui.send("\x1b");
    tui.wait_for("the dashboard again", |s| {
        !s.contains("Task dump") && s.contains("Queue depth")
    });
}

#[test]
fn the_picker_switches_scenarios_and_e_explains_them() {
    let mut tui = Tui::start(&[], 100, 30);
    tui.wait_for_dashboard();
    tui.send("s");
    tui.wait_for("the scenario picker", |s| {
        s.contains("Scenarios") && s.contains("cpu-bound")
    });
    tui.send("j"); // queue → blocking
    tui.send("\r");
    let switched = tui.wait_for("the blocking scenario running", |s| {
        s.contains("scenario blocking") && !s.contains("Enter switch")
    });
    assert!(
        switched.contains("blocking                 25%"),
        "{switched}"
    );
    tui.wait_for("its blocked worker named", |s| s.contains("▲ worker"));
    tui.send("e");
    tui.wait_for("the explanation", |s| {
        s.contains("Scenario: blocking") && s.contains("spawn_blocking(fn).await")
    });
    tui.send("\x1b"); // Esc closes the panel, not the dashboard
    let closed = tui.wait_for("the panel to close", |s| !s.contains("Scenario: blocking"));
    assert!(closed.contains("scenario blocking"), "{closed}");
}

#[test]
fn switching_to_requests_and_raising_concurrency_with_keys() {
    let mut tui = Tui::start(&[], 100, 30);
    tui.wait_for_dashboard();
    tui.send("s");
    tui.wait_for("the scenario picker", |s| s.contains("requests"));
    tui.send("kk"); // queue → mixed → requests, wrapping upwards
    tui.send("\r");
    tui.wait_for("requests flowing to the embedded site", |s| {
        s.contains("scenario requests")
            && s.contains("closed ×16")
            && number_after(s, "ok ").is_some_and(|ok| ok > 100.0)
    });
    tui.send("j"); // mode → concurrency
    tui.send("L"); // a big step: 16 × 10
    tui.wait_for("concurrency 160 in the pane", |s| {
        s.contains("closed ×160") && s.contains("▶ concurrency")
    });
}

#[test]
fn help_and_pause_show_on_screen() {
    let mut tui = Tui::start(&[], 100, 30);
    tui.wait_for_dashboard();
    tui.send("?");
    tui.wait_for("the help overlay", |s| {
        s.contains("Keys") && s.contains("reset statistics")
    });
    tui.send("?");
    tui.wait_for("help to close", |s| !s.contains("reset statistics"));
    tui.send(" ");
    let paused = tui.wait_for("PAUSED in the header", |s| s.contains("PAUSED"));
    let frozen_up = uptime_seconds(&paused).unwrap();
    tui.send(" ");
    tui.wait_for("the display to resume", |s| {
        !s.contains("PAUSED") && uptime_seconds(s).is_some_and(|u| u > frozen_up)
    });
}

/// How far back the header says the cursor is: `PAUSED -10.2s`.
fn seconds_back(screen: &str) -> Option<f64> {
    let start = screen.find("PAUSED -")? + "PAUSED -".len();
    screen[start..].split('s').next()?.parse().ok()
}

#[test]
fn paused_the_arrows_go_back_in_time_and_every_pane_follows() {
    const LEFT_SHIFT: &str = "\x1b[1;2D";
    let mut tui = Tui::start(&[], 120, 40);
    tui.wait_for_dashboard();
    tui.wait_for("15 s of history", |s| {
        uptime_seconds(s).is_some_and(|u| u >= 15)
    });
    tui.send(" ");
    let now = tui.wait_for("PAUSED", |s| s.contains("PAUSED"));
    let now_up = uptime_seconds(&now).unwrap();
    // Shift+Left: ten seconds' worth of ticks back; the header says how
    // far, and shows the uptime of the tick at the cursor.
    tui.send(LEFT_SHIFT);
    let back = tui.wait_for("the cursor 10 s back", |s| {
        seconds_back(s).is_some_and(|b| (9.0..11.0).contains(&b))
    });
    let back_up = uptime_seconds(&back).unwrap();
    assert!(
        (now_up - 11..=now_up - 9).contains(&back_up),
        "up {now_up}s, then {back_up}s:\n{back}"
    );
    // Left: one tick further back; Right twice: one tick nearer than that.
    let ten = seconds_back(&back).unwrap();
    tui.send("\x1b[D");
    let further = tui.wait_for("a tick further back", |s| {
        seconds_back(s).is_some_and(|b| b > ten)
    });
    let further = seconds_back(&further).unwrap();
    tui.send("\x1b[C\x1b[C");
    tui.wait_for("two ticks on", |s| {
        seconds_back(s).is_some_and(|b| b < ten && b > ten - 0.6)
    });
    assert!(further - ten < 0.6, "one tick, not {}", further - ten);
    // Unpausing returns to now.
    tui.send(" ");
    tui.wait_for("now again", |s| {
        !s.contains("PAUSED") && uptime_seconds(s).is_some_and(|u| u >= now_up)
    });
}

#[test]
fn too_small_terminal_says_so_then_recovers_on_resize() {
    let tui = Tui::start(&[], 60, 20);
    tui.wait_for("the too-small message", |s| {
        s.contains("terminal too small: need 80x24")
    });
    tui.resize(100, 30);
    tui.wait_for_dashboard();
}

#[test]
fn q_quits_with_code_zero_and_restores_the_terminal() {
    let mut tui = Tui::start(&[], 100, 30);
    tui.wait_for_dashboard();
    assert!(tui.in_raw_alternate_screen());
    tui.send("q");
    let status = tui.wait_exit();
    assert!(status.success(), "{status:?}");
    assert!(tui.terminal_restored());
}

#[test]
fn ctrl_c_quits_too_and_esc_only_closes() {
    let mut tui = Tui::start(&[], 100, 30);
    tui.wait_for_dashboard();
    // Esc twice, as a user closing a panel that was already closed.
    tui.send("\x1b\x1b");
    let first_up = uptime_seconds(&tui.screen()).expect("an uptime");
    tui.wait_for("the dashboard to carry on", |s| {
        uptime_seconds(s).is_some_and(|up| up >= first_up + 2)
    });
    tui.send("\x03");
    assert!(tui.wait_exit().success());
    assert!(tui.terminal_restored());
}

#[test]
fn every_signal_that_ends_it_restores_the_terminal() {
    for signal in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGQUIT,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
        Signal::SIGALRM,
    ] {
        let code = 128 + signal as u32;
        let mut tui = Tui::start(&[], 100, 30);
        tui.wait_for_dashboard();
        kill(Pid::from_raw(tui.pid()), signal).unwrap();
        let status = tui.wait_exit();
        assert_eq!(status.exit_code(), code, "{signal:?}");
        assert!(tui.terminal_restored(), "{signal:?}");
    }
}

#[test]
fn a_blocked_runtime_does_not_freeze_the_dashboard() {
    // One worker, and a consumer that computes for a second per item without
    // awaiting: the observed runtime is stuck for minutes at a time.
    let args = [
        "--workers",
        "1",
        "--consumers",
        "1",
        "--cpu-work",
        "1s",
        "--io-wait",
        "0",
        "--produce-interval",
        "0",
    ];
    let mut tui = Tui::start(&args, 100, 30);
    let first = tui.wait_for_dashboard();
    let up = uptime_seconds(&first).unwrap();
    tui.wait_for("the clock to keep ticking", |s| {
        uptime_seconds(s).is_some_and(|u| u >= up + 2)
    });
    tui.send("?");
    tui.wait_for("keys to still work", |s| s.contains("reset statistics"));
    tui.send("q");
    assert!(tui.wait_exit().success());
    assert!(tui.terminal_restored());
}

#[cfg(feature = "console")]
#[test]
fn a_console_on_port_zero_shows_the_port_it_got() {
    let tui = Tui::start(&["--console", "127.0.0.1:0"], 120, 30);
    let screen = tui.wait_for_dashboard();
    let port: u16 = screen
        .split("console 127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no console address in:\n{screen}"));
    assert_ne!(port, 0, "{screen}");
    std::net::TcpStream::connect(("127.0.0.1", port)).expect("the console listens there");
}

#[test]
fn a_log_on_the_terminal_is_refused_before_the_dashboard_starts() {
    let mut tui = Tui::start(&["--log", "/dev/tty"], 100, 30);
    let status = tui.wait_exit();
    assert_eq!(status.exit_code(), 2);
    let screen = tui.screen();
    assert!(screen.contains("is a terminal"), "{screen}");
    assert!(
        !tui.in_raw_alternate_screen(),
        "the terminal was never taken"
    );
}

/// The process's state letter from /proc: `T` when stopped.
fn process_state(pid: i32) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    stat.rsplit_once(')')
        .unwrap()
        .1
        .trim_start()
        .chars()
        .next()
        .unwrap()
}

#[test]
fn ctrl_z_and_sigtstp_suspend_with_the_terminal_restored_and_come_back() {
    for how in ["Ctrl-Z", "SIGTSTP"] {
        let mut tui = Tui::start(&[], 100, 30);
        tui.wait_for_dashboard();
        if how == "Ctrl-Z" {
            tui.send("\x1a");
        } else {
            kill(Pid::from_raw(tui.pid()), Signal::SIGTSTP).unwrap();
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while process_state(tui.pid()) != 'T' && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(process_state(tui.pid()), 'T', "{how}: stopped");
        // What it wrote before stopping may still be on its way to the screen.
        while !tui.terminal_restored() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(tui.terminal_restored(), "{how}: terminal given back");
        kill(Pid::from_raw(tui.pid()), Signal::SIGCONT).unwrap();
        tui.wait_for("the dashboard back", |s| s.contains("alive tasks"));
        assert!(tui.in_raw_alternate_screen(), "{how}: raw again");
        tui.send("?");
        tui.wait_for("keys to work again", |s| s.contains("suspend (fg"));
        tui.send("q");
        assert!(tui.wait_exit().success(), "{how}");
        assert!(tui.terminal_restored(), "{how}");
    }
}

#[test]
fn poll_times_and_long_polls_tell_the_same_story_during_a_stall() {
    // The blocking scenario holds a worker for seconds at a time: Poll
    // times, which counts a poll only once it ends, must show it running,
    // as Long polls does, with what its thread is doing.
    let mut tui = Tui::start(&["--scenario", "blocking"], 120, 40);
    let screen = tui.wait_for("a poll running now in both panes", |s| {
        s.contains("running now 1") && s.contains("blocked") && s.contains("in clock_nanosleep")
    });
    assert!(
        screen.contains("p99 ~"),
        "bucket bounds read as such:\n{screen}"
    );
    tui.send("q");
    assert!(tui.wait_exit().success());
}
