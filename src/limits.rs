//! The process's limit on open files. A requester holds a connection on
//! both ends (client and embedded site) in this one process, so a
//! concurrency of a few thousand meets the usual soft limit of 1,024.

/// The soft limit on open files, raised to the hard limit (which needs no
/// privileges); the limit in force after. `None` where the system does not
/// say.
pub fn raise_open_files() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write `limit`.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return None;
            }
            if limit.rlim_cur < limit.rlim_max {
                let raised = libc::rlimit {
                    rlim_cur: limit.rlim_max,
                    ..limit
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    limit = raised;
                }
            }
        }
        Some(to_u64(limit.rlim_cur))
    }
    #[cfg(not(unix))]
    None
}

/// The limit in force now, without changing it.
pub fn open_files() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit only writes `limit`.
        let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
        ok.then_some(to_u64(limit.rlim_cur))
    }
    #[cfg(not(unix))]
    None
}

/// `rlim_t` is a u64 on Linux but not on every Unix.
#[cfg(unix)]
#[allow(clippy::unnecessary_cast)]
fn to_u64(n: libc::rlim_t) -> u64 {
    n as u64
}

/// How many threads this process may start, and which limit says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadLimit {
    pub allowed: u64,
    /// The smallest of the system's limits on threads, and its name.
    pub limit: u64,
    pub name: &'static str,
    /// The process's threads when it was read.
    pub running: u64,
}

impl ThreadLimit {
    /// "half of kernel.pid_max (32768), less the 9 threads running".
    pub fn reason(&self) -> String {
        format!(
            "half of {} ({}), less the {} threads running",
            self.name, self.limit, self.running
        )
    }
}

/// How many threads this process may start: half the smallest of the
/// system's limits on threads (the kernel's threads-max and pid_max, as
/// every thread takes a process id, the user's RLIMIT_NPROC, the cgroup's
/// pids.max), less those running now, so the rest of the machine keeps
/// room. `None` where no limit is known.
pub fn threads_allowed() -> Option<ThreadLimit> {
    let read =
        |path: &str| -> Option<u64> { std::fs::read_to_string(path).ok()?.trim().parse().ok() };
    // pids.max reads "max" when unlimited, which does not parse. The
    // process's own cgroup (v2), else the hierarchy's root.
    let own = std::fs::read_to_string("/proc/self/cgroup")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("0::").map(str::to_string))
        });
    let cgroup = own
        .and_then(|path| {
            read(&format!(
                "/sys/fs/cgroup{}/pids.max",
                path.trim_end_matches('/')
            ))
        })
        .or_else(|| read("/sys/fs/cgroup/pids.max"))
        .or_else(|| read("/sys/fs/cgroup/pids/pids.max"));
    let limits = [
        (read("/proc/sys/kernel/threads-max"), "kernel.threads-max"),
        (read("/proc/sys/kernel/pid_max"), "kernel.pid_max"),
        (cgroup, "the cgroup's pids.max"),
        (user_processes(), "RLIMIT_NPROC (ulimit -u)"),
    ];
    let (limit, name) = limits
        .into_iter()
        .filter_map(|(limit, name)| Some((limit?, name)))
        .min_by_key(|(limit, _)| *limit)?;
    let running = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("Threads:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .unwrap_or(0);
    Some(ThreadLimit {
        allowed: (limit / 2).saturating_sub(running),
        limit,
        name,
        running,
    })
}

/// RLIMIT_NPROC: threads count as processes on Linux.
fn user_processes() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit only writes `limit`.
        let ok = unsafe { libc::getrlimit(libc::RLIMIT_NPROC, &mut limit) } == 0;
        (ok && limit.rlim_cur != libc::RLIM_INFINITY).then(|| to_u64(limit.rlim_cur))
    }
    #[cfg(not(unix))]
    None
}

/// An error that says the process (or the system) has no file
/// descriptors left.
pub fn is_out_of_files(error: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        matches!(error.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
    }
    #[cfg(not(unix))]
    {
        let _ = error;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_rises_to_the_hard_one() {
        let raised = raise_open_files().expect("Linux says");
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
        assert_eq!((raised, limit.rlim_cur), (limit.rlim_max, limit.rlim_max));
        assert_eq!(open_files(), Some(raised));
    }

    #[test]
    fn threads_allowed_is_under_every_limit_that_is_set() {
        let limit = threads_allowed().expect("Linux says");
        let allowed = limit.allowed;
        for path in ["/proc/sys/kernel/threads-max", "/proc/sys/kernel/pid_max"] {
            let most: u64 = std::fs::read_to_string(path)
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            assert!(
                allowed > 0 && allowed < most / 2,
                "{allowed} of {path} {most}"
            );
        }
        if let Some(user) = user_processes() {
            assert!(allowed < user / 2, "{allowed} of {user}");
        }
        assert!(limit.reason().starts_with("half of "), "{}", limit.reason());
    }

    #[test]
    fn emfile_is_out_of_files_and_refused_is_not() {
        assert!(is_out_of_files(&std::io::Error::from_raw_os_error(
            libc::EMFILE
        )));
        let refused = std::io::ErrorKind::ConnectionRefused.into();
        assert!(!is_out_of_files(&refused));
    }
}
