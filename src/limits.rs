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
    fn emfile_is_out_of_files_and_refused_is_not() {
        assert!(is_out_of_files(&std::io::Error::from_raw_os_error(
            libc::EMFILE
        )));
        let refused = std::io::ErrorKind::ConnectionRefused.into();
        assert!(!is_out_of_files(&refused));
    }
}
