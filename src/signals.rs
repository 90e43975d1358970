//! The signals that end a run: SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1,
//! SIGUSR2 and SIGALRM, each of which would otherwise kill the process with
//! the terminal still raw and on the alternate screen. In raw mode Ctrl-C
//! arrives as a key, but `kill -INT` still needs an orderly exit.

use futures::future::select_all;
use tokio::signal::unix::{signal, Signal, SignalKind};

/// SIGTSTP (`kill -TSTP`, or Ctrl-Z where the terminal is not raw): the
/// dashboard suspends itself, restoring the terminal first.
pub struct SuspendRequests(Signal);

impl SuspendRequests {
    /// Must be called inside a tokio runtime with I/O enabled.
    pub fn listen() -> std::io::Result<Self> {
        signal(SignalKind::from_raw(libc::SIGTSTP)).map(Self)
    }

    pub async fn recv(&mut self) {
        if self.0.recv().await.is_none() {
            std::future::pending::<()>().await;
        }
    }
}

/// The signals handled, with their numbers (for the conventional exit
/// status 128 + signal).
const ENDING: [(fn() -> SignalKind, i32); 7] = [
    (SignalKind::hangup, libc::SIGHUP),
    (SignalKind::interrupt, libc::SIGINT),
    (SignalKind::quit, libc::SIGQUIT),
    (SignalKind::user_defined1, libc::SIGUSR1),
    (SignalKind::user_defined2, libc::SIGUSR2),
    (SignalKind::alarm, libc::SIGALRM),
    (SignalKind::terminate, libc::SIGTERM),
];

pub struct Shutdown {
    signals: Vec<(Signal, i32)>,
}

impl Shutdown {
    /// Must be called inside a tokio runtime with I/O enabled.
    pub fn listen() -> std::io::Result<Self> {
        let signals = ENDING
            .iter()
            .map(|(kind, number)| Ok((signal(kind())?, *number)))
            .collect::<std::io::Result<_>>()?;
        Ok(Self { signals })
    }

    /// Waits for one of the signals; returns its number.
    pub async fn recv(&mut self) -> i32 {
        let waits = self
            .signals
            .iter_mut()
            .map(|(signal, number)| Box::pin(async move { signal.recv().await.map(|_| *number) }));
        match select_all(waits).await.0 {
            Some(number) => number,
            // A signal stream ends only with its runtime; wait for the rest.
            None => std::future::pending().await,
        }
    }
}
