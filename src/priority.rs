//! The observer must win against the observed at the OS level too: with
//! thousands of runnable workload threads, a thread at an equal priority
//! waits for a core for most of every second, and the display and the keys
//! freeze with the machine.
//!
//! So the dashboard's thread (or headless mode's sampler) asks for the
//! lowest real-time priority, which any runnable ordinary thread yields to
//! at once. That needs a privilege (root, CAP_SYS_NICE or an RLIMIT_RTPRIO
//! of at least 1). Without one, every thread the workload makes runs at the
//! lowest priority (nice 19) instead, and the observer asks for a negative
//! nice value where it may. The workload is lowered only then: at nice 19
//! it yields to every other program on the machine too, which stretches
//! the polls and delays the dashboard measures. On the development machine,
//! against 10,000 job threads computing 1 s each, the dashboard's thread
//! waited for a core 666 ms of every second at nice 0 against the jobs at
//! nice 19, 106 ms at nice -20, and none as real-time.
//!
//! Linux gives each thread a priority of its own, and a new thread takes
//! its creator's: threads started from a lowered thread are lowered from
//! their first instruction. Elsewhere this does nothing.

use std::sync::atomic::{AtomicBool, Ordering};

/// The nice value of workload threads when they are lowered: the lowest
/// priority there is.
pub const WORKLOAD_NICE: i32 = 19;

/// Set when the observer could not rise above ordinary threads.
static LOWER_WORKLOAD: AtomicBool = AtomicBool::new(false);

/// Called by every thread a workload makes as it starts: lowers it to
/// `WORKLOAD_NICE` if the observer could not rise above it. Lowering needs
/// no privilege; a failure leaves the thread as it was, which is no worse.
pub fn lower_this_thread() {
    if LOWER_WORKLOAD.load(Ordering::Relaxed) {
        set_nice(WORKLOAD_NICE);
    }
}

fn set_nice(nice: i32) {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its arguments.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, this_thread(), nice);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

/// What the observer's thread got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Raised {
    RealTime,
    Nice(i32),
    Unchanged,
}

/// Raises the calling thread above the workload, as far as the OS allows;
/// short of real-time, the workload's threads are lowered from now on.
/// Threads it starts afterwards take the raised priority too, until
/// `stop_passing_on` is called: start the observer's own helper threads
/// (the terminal's input reader) in between.
pub fn raise_this_thread() -> Raised {
    let raised = raise();
    LOWER_WORKLOAD.store(raised != Raised::RealTime, Ordering::Relaxed);
    raised
}

fn raise() -> Raised {
    #[cfg(target_os = "linux")]
    // SAFETY: sched_setscheduler and setpriority only read their arguments.
    unsafe {
        let lowest = libc::sched_param { sched_priority: 1 };
        if libc::sched_setscheduler(0, libc::SCHED_RR, &lowest) == 0 {
            return Raised::RealTime;
        }
        for nice in [-20, -10, -5] {
            if libc::setpriority(libc::PRIO_PROCESS, this_thread(), nice) == 0 {
                return Raised::Nice(nice);
            }
        }
    }
    Raised::Unchanged
}

/// From now on, threads the calling thread starts get an ordinary
/// priority, not its raised one: the workload's runtime is built from the
/// observer's thread.
pub fn stop_passing_on() {
    #[cfg(target_os = "linux")]
    // SAFETY: as above; the scheduling parameters are read back first.
    unsafe {
        let policy = libc::sched_getscheduler(0);
        let mut param = libc::sched_param { sched_priority: 0 };
        if policy >= 0 && libc::sched_getparam(0, &mut param) == 0 {
            libc::sched_setscheduler(0, policy | libc::SCHED_RESET_ON_FORK, &param);
        }
    }
}

/// The calling thread as setpriority names it: Linux keeps a nice value
/// per thread.
#[cfg(target_os = "linux")]
fn this_thread() -> libc::id_t {
    crate::cpu_time::this_thread_id() as libc::id_t
}

/// The calling thread's nice value (Linux); `None` elsewhere.
pub fn of_this_thread() -> Option<i32> {
    #[cfg(target_os = "linux")]
    // SAFETY: getpriority reads only its arguments.
    unsafe {
        Some(libc::getpriority(libc::PRIO_PROCESS, this_thread()))
    }
    #[cfg(not(target_os = "linux"))]
    None
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_lowered_thread_and_the_threads_it_starts_run_at_the_lowest_priority() {
        let start = of_this_thread().unwrap();
        let (lowered, child) = std::thread::spawn(|| {
            set_nice(WORKLOAD_NICE);
            let child = std::thread::spawn(of_this_thread).join().unwrap();
            (of_this_thread(), child)
        })
        .join()
        .unwrap();
        assert_eq!((lowered, child), (Some(WORKLOAD_NICE), Some(WORKLOAD_NICE)));
        assert_eq!(of_this_thread(), Some(start), "only the calling thread");
    }

    #[test]
    fn a_raised_thread_passes_its_priority_on_until_told_not_to() {
        let policy = || unsafe { libc::sched_getscheduler(0) } & !libc::SCHED_RESET_ON_FORK;
        let (raised, helper, after, own) = std::thread::spawn(move || {
            let raised = raise();
            let helper = std::thread::spawn(move || (policy(), of_this_thread()))
                .join()
                .unwrap();
            stop_passing_on();
            let after = std::thread::spawn(move || (policy(), of_this_thread()))
                .join()
                .unwrap();
            (raised, helper, after, (policy(), of_this_thread()))
        })
        .join()
        .unwrap();
        assert_eq!(
            helper, own,
            "{raised:?}: the helper as raised as its creator"
        );
        match raised {
            Raised::RealTime => assert_eq!(own.0, libc::SCHED_RR),
            Raised::Nice(n) => assert_eq!(own.1, Some(n)),
            Raised::Unchanged => {}
        }
        if raised != Raised::Unchanged {
            assert_eq!(after, (libc::SCHED_OTHER, Some(0)), "{raised:?}");
        }
    }
}
