//! CPU time of threads, as the OS counts it: the calling thread's own clock,
//! and any thread of this process by its id (Linux; `None` elsewhere, never
//! a guess).
//!
//! Wall time says how long something took; CPU time says how much of a core
//! it got. They part when the OS has more runnable threads than cores.

use std::cell::Cell;
use std::time::Duration;

/// CPU time the calling thread has used, user and system; `None` where the
/// platform has no per-thread CPU clock. A system call: about 0.6 µs on the
/// development machine, so not for every iteration of a hot loop.
pub fn this_thread() -> Option<Duration> {
    #[cfg(target_os = "linux")]
    return clock(libc::CLOCK_THREAD_CPUTIME_ID);
    #[cfg(not(target_os = "linux"))]
    None
}

/// Reads clock `id`; `None` if the OS refuses it (a thread's clock after
/// the thread ended).
#[cfg(unix)]
fn clock(id: libc::clockid_t) -> Option<Duration> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes only into `now`.
    let ok = unsafe { libc::clock_gettime(id, &mut now) } == 0;
    ok.then(|| Duration::new(now.tv_sec as u64, now.tv_nsec as u32))
}

/// CPU time the whole process has used, user and system, all threads;
/// `None` where the OS does not say.
pub fn of_process() -> Option<Duration> {
    #[cfg(unix)]
    return clock(libc::CLOCK_PROCESS_CPUTIME_ID);
    #[cfg(not(unix))]
    None
}

/// The calling thread's OS id (Linux); 0 elsewhere. Cached per thread, so
/// it costs a thread-local read, cheap enough for every poll.
pub fn this_thread_id() -> u64 {
    thread_local! {
        static ID: Cell<u64> = const { Cell::new(0) };
    }
    ID.with(|id| {
        if id.get() == 0 {
            id.set(os_thread_id());
        }
        id.get()
    })
}

#[cfg(target_os = "linux")]
fn os_thread_id() -> u64 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() as u64 }
}

#[cfg(not(target_os = "linux"))]
fn os_thread_id() -> u64 {
    0
}

/// CPU time thread `id` of this process has used, to the nanosecond, from
/// its CPU clock (see `sched_of_thread`). `None` when the thread has ended
/// or there is no /proc.
pub fn of_thread(id: u64) -> Option<Duration> {
    sched_of_thread(id).map(|s| s.on_cpu)
}

/// What the scheduler counts for one thread, to the nanosecond.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sched {
    /// Time on a core.
    pub on_cpu: Duration,
    /// Time runnable but waiting for a core.
    pub waited: Duration,
}

/// Thread `id`'s counts: time on a core from its CPU clock, which is up to
/// date even while the thread runs (schedstat's own figure moves only at
/// the scheduler's ticks and switches, so a millisecond apart it can read
/// a computing thread as idle); time waiting for a core from
/// /proc/self/task/ID/schedstat. `None` when the thread has ended or there
/// is no /proc.
pub fn sched_of_thread(id: u64) -> Option<Sched> {
    if id == 0 {
        return None;
    }
    let schedstat = std::fs::read_to_string(format!("/proc/self/task/{id}/schedstat")).ok()?;
    let mut fields = schedstat.split_whitespace();
    let mut next = || fields.next()?.parse().ok().map(Duration::from_nanos);
    let (on_cpu, waited) = (next()?, next()?);
    Some(Sched {
        on_cpu: thread_clock(id).unwrap_or(on_cpu),
        waited,
    })
}

/// The CPU clock of thread `id` of this process, as pthread_getcpuclockid
/// gives it: Linux numbers a thread's clock from its id (the thread's
/// scheduler clock: !id << 3 | per-thread | sched).
#[cfg(target_os = "linux")]
fn thread_clock(id: u64) -> Option<Duration> {
    let tid = libc::pid_t::try_from(id).ok()?;
    clock(((!tid) << 3) | 4 | 2)
}

#[cfg(not(target_os = "linux"))]
fn thread_clock(_id: u64) -> Option<Duration> {
    None
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::time::Instant;

    fn spin(wall: Duration) {
        let start = Instant::now();
        while start.elapsed() < wall {
            std::hint::spin_loop();
        }
    }

    #[test]
    fn a_thread_that_computes_gains_cpu_time_and_one_that_sleeps_does_not() {
        // How much of a core the spin gets depends on the machine's load;
        // it gets some, and never more than the wall time it took.
        let (before, at) = (this_thread().unwrap(), Instant::now());
        spin(Duration::from_millis(30));
        let (computed, took) = (this_thread().unwrap() - before, at.elapsed());
        assert!(computed >= Duration::from_millis(1), "{computed:?}");
        assert!(
            computed <= took + Duration::from_millis(1),
            "{computed:?} in {took:?}"
        );

        let before = this_thread().unwrap();
        std::thread::sleep(Duration::from_millis(30));
        let slept = this_thread().unwrap() - before;
        assert!(slept < Duration::from_millis(5), "{slept:?}");
    }

    /// A thread that computes for `cpu` by its own clock, however loaded
    /// the machine, then waits to be told to end: its id, its own clock
    /// then, the sender that ends it, and its handle.
    fn computed(
        cpu: Duration,
    ) -> (
        u64,
        Duration,
        std::sync::mpsc::Sender<()>,
        std::thread::JoinHandle<()>,
    ) {
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let worker = std::thread::spawn(move || {
            let start = this_thread().unwrap();
            while this_thread().unwrap() - start < cpu {
                spin(Duration::from_millis(1));
            }
            tx.send((this_thread_id(), this_thread().unwrap())).unwrap();
            let _ = stop_rx.recv();
        });
        let (id, own) = rx.recv().unwrap();
        (id, own, stop_tx, worker)
    }

    #[test]
    fn another_threads_clock_reads_what_its_own_clock_does() {
        let (id, own, stop_tx, worker) = computed(Duration::from_millis(20));
        let read = thread_clock(id).expect("a live thread's clock");
        // Between its reading and ours it only sent a message and waited.
        assert!(
            read >= own && read - own < Duration::from_millis(5),
            "{read:?} against its own {own:?}"
        );
        stop_tx.send(()).unwrap();
        worker.join().unwrap();
    }

    #[test]
    fn another_thread_is_read_by_its_id() {
        let (id, _, stop_tx, worker) = computed(Duration::from_millis(30));
        assert_ne!(id, this_thread_id());
        let used = of_thread(id).expect("a live thread has a schedstat");
        assert!(used >= Duration::from_millis(30), "{used:?}");
        stop_tx.send(()).unwrap();
        worker.join().unwrap();
        // The kernel removes an ended thread's entry a moment after join.
        let gone = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            of_thread(id).is_none()
        });
        assert!(gone, "an ended thread has none");
    }
}
