//! `--record FILE`: every tick and every knob change written as it
//! happens, up to a size.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Change, Header};
use crate::sampler::Snapshot;

pub struct Recorder {
    file: File,
    path: PathBuf,
    written: u64,
    limit: u64,
    /// Why it stopped writing, once it has.
    stopped: Option<String>,
}

impl Recorder {
    /// Creates (or truncates) `path` and writes `header` to it; at most
    /// `limit` bytes will be written.
    pub fn create(path: &Path, limit: u64, header: &Header) -> io::Result<Self> {
        let file = File::create(path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot record to {}: {e}", path.display()),
            )
        })?;
        let mut recorder = Self {
            file,
            path: path.to_path_buf(),
            written: 0,
            limit,
            stopped: None,
        };
        if let Some(why) = recorder.line(header) {
            return Err(io::Error::other(why));
        }
        Ok(recorder)
    }

    /// Writes a tick; a message, once, if the recording stops here.
    pub fn tick(&mut self, snapshot: &Snapshot) -> Option<String> {
        self.line(snapshot)
    }

    /// Writes a change of the knobs; a message, once, if the recording
    /// stops here.
    pub fn change(&mut self, change: &Change) -> Option<String> {
        self.line(&change.line())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether it still writes.
    pub fn recording(&self) -> bool {
        self.stopped.is_none()
    }

    /// One line, in one write: a crash leaves whole lines. Past the limit,
    /// or on a write that fails, it stops for good: a full disk is not
    /// retried every tick.
    fn line(&mut self, value: &impl Serialize) -> Option<String> {
        if self.stopped.is_some() {
            return None;
        }
        let mut line = match serde_json::to_vec(value) {
            Ok(line) => line,
            Err(e) => return self.stop(format!("cannot write a tick: {e}")),
        };
        line.push(b'\n');
        if self.written + line.len() as u64 > self.limit {
            return self.stop(format!(
                "reached --record-limit ({} bytes) and stopped; it holds everything before",
                self.limit
            ));
        }
        match self.file.write_all(&line) {
            Ok(()) => {
                self.written += line.len() as u64;
                None
            }
            Err(e) => {
                // A line written in part (a full disk) is taken back, so
                // the file still ends with a whole tick.
                let _ = self.file.set_len(self.written);
                self.stop(format!("stopped: {e}"))
            }
        }
    }

    fn stop(&mut self, why: String) -> Option<String> {
        let message = format!("recording {}: {why}", self.path.display());
        self.stopped = Some(message.clone());
        Some(message)
    }
}
