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

/// How many threads this process may start: half the smallest of the
/// system's limits on threads (the kernel's threads-max, the user's
/// RLIMIT_NPROC, the cgroup's pids.max), less those running now, so the
/// rest of the machine keeps room. `None` where no limit is known.
pub fn threads_allowed() -> Option<u64> {
    let read =
        |path: &str| -> Option<u64> { std::fs::read_to_string(path).ok()?.trim().parse().ok() };
    let kernel = read("/proc/sys/kernel/threads-max");
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
    let user = user_processes();
    let smallest = [kernel, cgroup, user].into_iter().flatten().min()?;
    let running = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("Threads:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .unwrap_or(0);
    Some((smallest / 2).saturating_sub(running))
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
        let allowed = threads_allowed().expect("Linux says");
        let threads_max: u64 = std::fs::read_to_string("/proc/sys/kernel/threads-max")
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(allowed > 0 && allowed < threads_max / 2, "{allowed}");
        if let Some(user) = user_processes() {
            assert!(allowed < user / 2, "{allowed} of {user}");
        }
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
