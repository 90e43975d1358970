//! The signals that end a run: SIGINT, SIGTERM and SIGHUP. In raw mode
//! Ctrl-C arrives as a key, but `kill -INT` still needs an orderly exit.

use tokio::signal::unix::{signal, SignalKind};

pub struct Shutdown {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

impl Shutdown {
    /// Must be called inside a tokio runtime with I/O enabled.
    pub fn listen() -> std::io::Result<Self> {
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    /// Waits for one of the signals; returns its number.
    pub async fn recv(&mut self) -> i32 {
        tokio::select! {
            _ = self.interrupt.recv() => libc_number::SIGINT,
            _ = self.terminate.recv() => libc_number::SIGTERM,
            _ = self.hangup.recv() => libc_number::SIGHUP,
        }
    }
}

/// The POSIX numbers, for the conventional exit status 128 + signal.
mod libc_number {
    pub const SIGHUP: i32 = 1;
    pub const SIGINT: i32 = 2;
    pub const SIGTERM: i32 = 15;
}
