//! Why a long poll holds its worker: is the task computing, or blocked in
//! the kernel? The two need different fixes, and the OS can tell them apart
//! while the poll runs: a computing thread's CPU clock advances with the
//! wall clock, a blocked one's stands still, and Linux names the system call
//! a thread is in. Read once per tick (twice when a second look is needed),
//! for the workers in a long poll only.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::cpu_time::{self, Sched};

/// A long poll's cause, as the OS showed it while the poll ran.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// Not seen running (it ended between two ticks, or during a second
    /// look), or no /proc to read.
    #[default]
    Unknown,
    /// On a core, or waiting for one: the task computes without awaiting.
    Computing,
    /// Asleep in a system call: the task waits without awaiting.
    Blocked,
}

impl Cause {
    pub fn name(self) -> &'static str {
        match self {
            Cause::Unknown => "unknown",
            Cause::Computing => "computing",
            Cause::Blocked => "blocked",
        }
    }

    /// What to try, for a long poll of this cause.
    pub fn advice(self) -> &'static str {
        match self {
            Cause::Computing => {
                "move the work to spawn_blocking or a pool (rayon), or yield_now between slices of it"
            }
            Cause::Blocked => {
                "await the async version (tokio::time::sleep, tokio::fs, tokio::net) or use spawn_blocking"
            }
            Cause::Unknown => {
                "await instead of blocking, and move blocking calls and long computations to spawn_blocking"
            }
        }
    }
}

/// One reading of a worker's OS thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadReading {
    pub at: Instant,
    /// Time on a core and time waiting for one, to the nanosecond.
    pub sched: Sched,
    /// The thread sleeps in the kernel (it is neither on a core nor
    /// waiting for one).
    pub asleep: bool,
    /// The system call it sleeps in, if in one.
    pub syscall: Option<i64>,
}

/// Reads thread `tid` of this process; `None` where there is no /proc (not
/// Linux) or the thread has ended.
pub fn read_thread(tid: u64) -> Option<ThreadReading> {
    let sched = cpu_time::sched_of_thread(tid)?;
    // Kernels without it still give the CPU figures: then nothing reads
    // as asleep, and a poll with little CPU stays unknown.
    let (asleep, syscall) = std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall"))
        .ok()
        .and_then(|text| parse_syscall(&text))
        .unwrap_or((false, None));
    Some(ThreadReading {
        at: Instant::now(),
        sched,
        asleep,
        syscall,
    })
}

/// `/proc/…/syscall`: "running" for a thread that is not asleep (on a core
/// or waiting for one), else the number of the call it sleeps in and its
/// arguments ("-1 …" when asleep outside any call, as in a page fault).
/// As (asleep, call); `None` when it is none of these.
fn parse_syscall(text: &str) -> Option<(bool, Option<i64>)> {
    let first = text.split_whitespace().next()?;
    if first == "running" {
        return Some((false, None));
    }
    let number: i64 = first.parse().ok()?;
    Some((true, (number >= 0).then_some(number)))
}

/// What a running long poll is doing, from the latest reading of its
/// thread and, when the same poll was seen a tick before, the reading then.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Verdict {
    pub cause: Cause,
    /// The system call the thread was blocked in, by name where known.
    pub syscall: Option<String>,
    /// Share of a core the thread got between the two readings; `None` at
    /// the first reading.
    pub cpu_share: Option<f64>,
}

/// A thread that was on a core, or waiting for one, at least half the time
/// of its poll was computing, whatever it was doing at the instant of a
/// reading; one that was neither for most of it was blocked.
const COMPUTING_SHARE: f64 = 0.5;

/// What the scheduler's counts say of a poll since an earlier reading.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Share {
    /// Of the poll's time, the share on a core.
    pub cpu: f64,
    /// The share on a core or waiting for one: wanting to compute.
    pub runnable: f64,
    /// Both readings lie within the poll. Otherwise the earlier one was
    /// taken before the poll began, and the shares are lower bounds: the
    /// time before the poll counts as if the thread had computed then.
    pub exact: bool,
    /// Linux counted more time waiting for a core between the readings
    /// than passed between them: a wait that began before, counted when
    /// the thread got its core.
    pub long_wait_ended: bool,
}

/// The poll's shares since `before`, a reading of the same thread, for a
/// poll `polled_for` old now.
pub fn share_since(
    now: &ThreadReading,
    before: &ThreadReading,
    polled_for: Duration,
) -> Option<Share> {
    let wall = now.at.checked_duration_since(before.at)?;
    let cpu = now.sched.on_cpu.saturating_sub(before.sched.on_cpu);
    let waited = now.sched.waited.saturating_sub(before.sched.waited);
    let runnable = cpu + waited;
    let exact = polled_for >= wall;
    let (outside, within) = if exact {
        (Duration::ZERO, wall)
    } else {
        (wall - polled_for, polled_for)
    };
    (!within.is_zero()).then(|| Share {
        cpu: ratio(cpu.saturating_sub(outside), within),
        runnable: ratio(runnable.saturating_sub(outside), within),
        exact,
        long_wait_ended: waited > wall,
    })
}

fn ratio(part: Duration, whole: Duration) -> f64 {
    (part.as_secs_f64() / whole.as_secs_f64()).min(1.0)
}

/// Judges a running poll from its thread's reading now and its shares
/// since an earlier one (a tick ago, in the poll or before it).
pub fn judge(now: &ThreadReading, share: Option<Share>) -> Verdict {
    let cause = if share.is_some_and(|s| s.runnable >= COMPUTING_SHARE) {
        Cause::Computing
    } else if now.asleep {
        Cause::Blocked
    } else {
        // Runnable now, yet little on a core before: starved of a core
        // (a wait is counted only once the thread gets one), or between
        // two blocking calls. A second look tells.
        Cause::Unknown
    };
    verdict(cause, now, share.filter(|s| s.exact).map(|s| s.cpu))
}

/// The second look at a poll the first left unknown, a moment later:
/// `moment` its shares since the first look, `before` those the first
/// look had.
pub fn judge_again(now: &ThreadReading, moment: Option<Share>, before: Option<Share>) -> Verdict {
    let tick = before.filter(|s| s.exact);
    let on_core_now = moment.is_some_and(|m| m.cpu >= COMPUTING_SHARE);
    let starved = moment.is_some_and(|m| m.long_wait_ended);
    let cause = if now.asleep {
        Cause::Blocked
    } else if starved {
        // It got its core during the look, after a wait longer than the
        // look: it had been runnable all along.
        Cause::Computing
    } else if tick.is_some_and(|t| t.runnable < COMPUTING_SHARE) && on_core_now {
        // Off a core most of the tick, yet on one freely now: it sleeps,
        // and computes a little between its calls.
        Cause::Blocked
    } else {
        // Runnable at both looks, and not given a core freely: waiting for
        // one.
        Cause::Computing
    };
    // A share over the tick, never over the millisecond of the look.
    let cpu_share = tick.map(|s| s.cpu);
    verdict(cause, now, cpu_share)
}

fn verdict(cause: Cause, now: &ThreadReading, cpu_share: Option<f64>) -> Verdict {
    Verdict {
        cause,
        syscall: (cause == Cause::Blocked)
            .then(|| now.syscall.map(syscall_name))
            .flatten(),
        cpu_share,
    }
}

/// The name of system call `number` on this machine's architecture, for
/// the calls a blocked task is usually in; others by number.
pub fn syscall_name(number: i64) -> String {
    KNOWN
        .iter()
        .find(|(n, _)| *n == number)
        .map_or_else(|| format!("syscall {number}"), |(_, name)| name.to_string())
}

// `c_long` is i64 on 64-bit Linux only.
#[cfg(target_os = "linux")]
#[allow(clippy::unnecessary_cast)]
const KNOWN: &[(i64, &str)] = &[
    (libc::SYS_read as i64, "read"),
    (libc::SYS_write as i64, "write"),
    (libc::SYS_pread64 as i64, "pread64"),
    (libc::SYS_pwrite64 as i64, "pwrite64"),
    (libc::SYS_readv as i64, "readv"),
    (libc::SYS_writev as i64, "writev"),
    (libc::SYS_openat as i64, "openat"),
    (libc::SYS_close as i64, "close"),
    (libc::SYS_fsync as i64, "fsync"),
    (libc::SYS_fdatasync as i64, "fdatasync"),
    (libc::SYS_nanosleep as i64, "nanosleep"),
    (libc::SYS_clock_nanosleep as i64, "clock_nanosleep"),
    (libc::SYS_futex as i64, "futex"),
    (libc::SYS_ppoll as i64, "ppoll"),
    (libc::SYS_pselect6 as i64, "pselect6"),
    (libc::SYS_epoll_pwait as i64, "epoll_pwait"),
    (libc::SYS_connect as i64, "connect"),
    (libc::SYS_accept4 as i64, "accept4"),
    (libc::SYS_recvfrom as i64, "recvfrom"),
    (libc::SYS_sendto as i64, "sendto"),
    (libc::SYS_recvmsg as i64, "recvmsg"),
    (libc::SYS_sendmsg as i64, "sendmsg"),
    (libc::SYS_wait4 as i64, "wait4"),
    (libc::SYS_flock as i64, "flock"),
    (libc::SYS_fcntl as i64, "fcntl"),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_poll as i64, "poll"),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_select as i64, "select"),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_epoll_wait as i64, "epoll_wait"),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_accept as i64, "accept"),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_open as i64, "open"),
];

#[cfg(not(target_os = "linux"))]
const KNOWN: &[(i64, &str)] = &[];

#[cfg(test)]
mod tests {
    use super::*;

    fn number(name: &str) -> i64 {
        KNOWN.iter().find(|(_, n)| *n == name).unwrap().0
    }

    /// A reading; `syscall` Some(-1) for asleep outside any call.
    fn reading(at: Instant, cpu_ms: u64, waited_ms: u64, syscall: Option<i64>) -> ThreadReading {
        ThreadReading {
            at,
            sched: Sched {
                on_cpu: Duration::from_millis(cpu_ms),
                waited: Duration::from_millis(waited_ms),
            },
            asleep: syscall.is_some(),
            syscall: syscall.filter(|n| *n >= 0),
        }
    }

    const TICK: Duration = Duration::from_millis(250);

    #[test]
    fn proc_syscall_lines_parse() {
        assert_eq!(parse_syscall("running\n"), Some((false, None)));
        assert_eq!(
            parse_syscall("230 0x1 0x0 0x7ffd 0x0\n"),
            Some((true, Some(230)))
        );
        assert_eq!(parse_syscall("-1 0x7ffd 0x55\n"), Some((true, None)));
        assert_eq!(parse_syscall(""), None);
        assert_eq!(parse_syscall("garbage"), None);
    }

    #[test]
    fn cpu_time_keeping_up_with_the_wall_clock_is_computing() {
        let t0 = Instant::now();
        // In a system call at the instant, but on a core all along: the
        // kernel computing for it (a large read, page faults).
        let now = reading(t0 + TICK, 250, 0, Some(0));
        let v = judge(&now, share_since(&now, &reading(t0, 10, 0, None), TICK));
        assert_eq!((v.cause, v.syscall.as_deref()), (Cause::Computing, None));
        assert!((v.cpu_share.unwrap() - 0.96).abs() < 0.01, "{v:?}");
    }

    #[test]
    fn waiting_for_a_core_is_computing_starved() {
        let t0 = Instant::now();
        let now = reading(t0 + TICK, 35, 200, None);
        let v = judge(&now, share_since(&now, &reading(t0, 10, 0, None), TICK));
        assert_eq!(v.cause, Cause::Computing);
        assert!((v.cpu_share.unwrap() - 0.1).abs() < 0.01, "{v:?}");
        // Still waiting for its first core: the wait is not counted yet.
        let now = reading(t0 + TICK, 11, 0, None);
        let share = share_since(&now, &reading(t0, 10, 0, None), TICK);
        assert_eq!(judge(&now, share).cause, Cause::Unknown);
        let later = reading(t0 + TICK + Duration::from_millis(1), 11, 0, None);
        let v = judge_again(&later, share_since(&later, &now, TICK), share);
        assert_eq!(v.cause, Cause::Computing);
        assert!(v.cpu_share.unwrap() < 0.01, "the tick's share: {v:?}");
        // Or given its core during the look, after the long wait, which
        // Linux counts only then.
        let later = reading(t0 + TICK + Duration::from_millis(1), 12, 250, None);
        let v = judge_again(&later, share_since(&later, &now, TICK), share);
        assert_eq!(v.cause, Cause::Computing, "{v:?}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn cpu_time_standing_still_is_blocked_and_named_when_in_a_call() {
        let t0 = Instant::now();
        let now = reading(t0 + TICK, 11, 0, Some(number("clock_nanosleep")));
        let v = judge(&now, share_since(&now, &reading(t0, 10, 0, None), TICK));
        assert_eq!(v.cause, Cause::Blocked);
        assert_eq!(v.syscall.as_deref(), Some("clock_nanosleep"));
        assert!(v.cpu_share.unwrap() < 0.01);
        // Caught between two sleeps: not known until a second look finds
        // it asleep again.
        let now = reading(t0 + TICK, 12, 0, None);
        let v = judge(&now, share_since(&now, &reading(t0, 10, 0, None), TICK));
        assert_eq!(v.cause, Cause::Unknown);
        let tick = share_since(&now, &reading(t0, 10, 0, None), TICK);
        let later = reading(t0 + TICK, 12, 0, Some(number("clock_nanosleep")));
        let v = judge_again(&later, share_since(&later, &now, TICK), tick);
        assert_eq!(
            (v.cause, v.syscall.as_deref()),
            (Cause::Blocked, Some("clock_nanosleep"))
        );
        // Or computing a little between two sleeps at both looks.
        let later = reading(t0 + TICK + Duration::from_millis(1), 13, 0, None);
        let v = judge_again(&later, share_since(&later, &now, TICK), tick);
        assert_eq!(v.cause, Cause::Blocked);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn without_a_reading_the_system_call_decides_or_nothing_does() {
        let now = Instant::now();
        let v = judge(&reading(now, 5, 0, Some(number("futex"))), None);
        assert_eq!(
            (v.cause, v.syscall.as_deref()),
            (Cause::Blocked, Some("futex"))
        );
        let v = judge(&reading(now, 5, 0, None), None);
        assert_eq!(
            (v.cause, v.cpu_share),
            (Cause::Unknown, None),
            "not yet known"
        );
    }

    #[test]
    fn a_reading_from_before_the_poll_bounds_its_shares_from_below() {
        let t0 = Instant::now();
        // 100 ms into a poll, 240 ms of CPU in the 250 ms since the last
        // tick: at least 90 of the poll's 100 ms were on a core.
        let now = reading(t0 + TICK, 250, 0, None);
        let share = share_since(&now, &reading(t0, 10, 0, None), Duration::from_millis(100));
        let s = share.unwrap();
        assert!(!s.exact && (s.cpu - 0.9).abs() < 0.01, "{s:?}");
        assert_eq!(judge(&now, share).cause, Cause::Computing);
        assert_eq!(judge(&now, share).cpu_share, None, "a bound, not the share");
        // 20 ms of CPU since: the poll may have had none; in user space,
        // it may be between two sleeps.
        let now = reading(t0 + TICK, 30, 0, None);
        let share = share_since(&now, &reading(t0, 10, 0, None), Duration::from_millis(100));
        assert_eq!(judge(&now, share).cause, Cause::Unknown);
    }

    #[test]
    fn unknown_calls_go_by_number() {
        assert_eq!(syscall_name(99_999), "syscall 99999");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_sleeping_thread_reads_as_blocked_in_a_sleep_and_a_spinning_one_as_computing() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{mpsc, Arc};

        let (tx, rx) = mpsc::channel();
        let (wake, woken) = mpsc::channel::<()>();
        let sleeper = std::thread::spawn(move || {
            tx.send(cpu_time::this_thread_id()).unwrap();
            // Asleep in the kernel until told, however loaded the machine.
            let _ = woken.recv();
        });
        let tid = rx.recv().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let first = read_thread(tid).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let now = read_thread(tid).unwrap();
        let v = judge(&now, share_since(&now, &first, Duration::from_secs(1)));
        wake.send(()).unwrap();
        sleeper.join().unwrap();
        assert_eq!(v.cause, Cause::Blocked, "{v:?}");
        assert_eq!(
            v.syscall.as_deref(),
            Some("futex"),
            "a channel waits on a futex"
        );

        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let spinning = stop.clone();
        let spinner = std::thread::spawn(move || {
            tx.send(cpu_time::this_thread_id()).unwrap();
            while !spinning.load(Ordering::Relaxed) {
                std::hint::spin_loop();
            }
        });
        let tid = rx.recv().unwrap();
        let first = read_thread(tid).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let now = read_thread(tid).unwrap();
        let share = share_since(&now, &first, Duration::from_secs(1));
        let v = match judge(&now, share) {
            // Given no core in the 100 ms: a second look decides.
            v if v.cause == Cause::Unknown => judge_again(&now, None, share),
            v => v,
        };
        stop.store(true, Ordering::Relaxed);
        spinner.join().unwrap();
        // On a core, or waiting for one on a loaded machine: computing.
        assert_eq!(
            (v.cause, v.syscall.as_deref()),
            (Cause::Computing, None),
            "{v:?}"
        );
    }
}
