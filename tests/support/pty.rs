//! Runs the real looptop binary in a pseudo-terminal and reads its screen
//! through a vt100 parser, the way a user's terminal would.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::termios::LocalFlags;
use portable_pty::{native_pty_system, Child, CommandBuilder, ExitStatus, MasterPty, PtySize};

/// Generous: a debug build on a loaded two-core CI machine is slow to start.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub struct Tui {
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    parser: Arc<Mutex<vt100::Parser>>,
    /// Every byte the program wrote, for escape sequences the screen hides.
    raw: Arc<Mutex<Vec<u8>>>,
}

impl Tui {
    pub fn start(args: &[&str], cols: u16, rows: u16) -> Self {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pseudo-terminal");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_looptop"));
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        let child = pair.slave.spawn_command(cmd).expect("start looptop");
        drop(pair.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let mut reader = pair.master.try_clone_reader().unwrap();
        thread::spawn({
            let parser = parser.clone();
            let raw = raw.clone();
            move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = reader.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    parser.lock().unwrap().process(&buf[..n]);
                    raw.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            }
        });
        let writer = pair.master.take_writer().unwrap();
        Self {
            master: pair.master,
            writer,
            child,
            parser,
            raw,
        }
    }

    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Polls the screen until `done` holds; panics with the screen if not.
    pub fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen was:\n{screen}");
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the dashboard has drawn every pane and at least one tick.
    pub fn wait_for_dashboard(&self) -> String {
        self.wait_for("all panes with a first tick", |s| {
            [
                "Queue depth",
                "Scheduling delay",
                "Tasks",
                "Poll times",
                "Workers",
                "Controls",
            ]
            .iter()
            .all(|p| s.contains(p))
                && s.contains("alive tasks")
                && s.contains("p50")
        })
    }

    pub fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    pub fn resize(&self, cols: u16, rows: u16) {
        self.parser
            .lock()
            .unwrap()
            .screen_mut()
            .set_size(rows, cols);
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
    }

    pub fn pid(&self) -> i32 {
        self.child.process_id().expect("child pid") as i32
    }

    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader thread drain what was written before exit.
                thread::sleep(Duration::from_millis(100));
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("looptop did not exit; screen was:\n{}", self.screen());
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// True once the program has put the terminal back: main screen, cursor
    /// shown, and the line discipline cooked (echo and canonical input on).
    pub fn terminal_restored(&self) -> bool {
        let parser = self.parser.lock().unwrap();
        let raw = self.raw.lock().unwrap();
        let left_alternate = contains(&raw, b"\x1b[?1049l");
        let termios = self.master.get_termios().expect("termios of the pty");
        let cooked = termios
            .local_flags
            .contains(LocalFlags::ICANON | LocalFlags::ECHO);
        !parser.screen().alternate_screen()
            && left_alternate
            && !parser.screen().hide_cursor()
            && cooked
    }

    pub fn in_raw_alternate_screen(&self) -> bool {
        let termios = self.master.get_termios().expect("termios of the pty");
        self.parser.lock().unwrap().screen().alternate_screen()
            && !termios.local_flags.contains(LocalFlags::ICANON)
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The number after `label` on the screen, with k/M suffixes expanded:
/// `number_after(screen, "in ")` reads "in 1.2k/s" as 1200.
pub fn number_after(screen: &str, label: &str) -> Option<f64> {
    let start = screen.find(label)? + label.len();
    let text: String = screen[start..]
        .chars()
        .skip_while(|c| *c == ' ')
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == 'k' || *c == 'M')
        .collect();
    let (digits, scale) = match text.chars().last()? {
        'k' => (&text[..text.len() - 1], 1e3),
        'M' => (&text[..text.len() - 1], 1e6),
        _ => (text.as_str(), 1.0),
    };
    digits.parse::<f64>().ok().map(|n| n * scale)
}
