//! Running the real binary to completion, as a script would: its output,
//! and its JSON lines parsed.

// Each test binary that includes this uses what it needs of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub fn looptop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_looptop"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run looptop")
}

/// A headless run's ticks; the run must succeed.
pub fn json_lines(args: &[&str]) -> Vec<Value> {
    ticks_of(&looptop(
        &[&["--headless", "--format", "json"], args].concat(),
    ))
}

/// The ticks a run that must have succeeded printed, a JSON line each.
fn ticks_of(out: &Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// A built-in scenario's file with some of its lines replaced, written to
/// a folder of this test process's own; returns its path.
pub fn scenario_file(built_in: &str, name: &str, replacements: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("looptop-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut scenario =
        std::fs::read_to_string(format!("assets/scenarios/{built_in}.toml")).unwrap();
    for (from, to) in replacements {
        assert!(scenario.contains(from), "{built_in}.toml has no `{from}`");
        scenario = scenario.replace(from, to);
    }
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(&file, scenario).unwrap();
    file
}

/// A process killed (and reaped) when this is dropped, so a failing test
/// leaves nothing running.
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The rest of the first line `read` gives, which must begin with `prefix`:
/// where a process just started says it listens.
pub fn announced(read: impl std::io::Read, prefix: &str) -> String {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(read).read_line(&mut line).unwrap();
    line.trim()
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("not {prefix:?}: {line:?}"))
        .to_string()
}

/// A plain HTTP/1.1 request: the status, the head and the body.
pub fn http(addr: std::net::SocketAddr, method: &str, path: &str) -> (u16, String, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

/// A program watched by `looptop::watch` (such as `examples/watched.rs`),
/// started on a port of its own, and `looptop attach --headless` run
/// against it for `duration`: the program (killed when dropped), where it
/// serves, and the ticks attach printed.
pub fn attach_to(program: &std::path::Path, duration: &str) -> (Killed, String, Vec<Value>) {
    let mut child = Command::new(program)
        .arg("127.0.0.1:0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    let addr = announced(child.stdout.take().unwrap(), "looptop endpoint on ");
    let child = Killed(child);
    let (ticks, _) = attach_headless(&addr, duration);
    (child, addr, ticks)
}

/// `looptop attach ADDR --headless` for `duration`, which must succeed:
/// its ticks and what it said on stderr.
pub fn attach_headless(addr: &str, duration: &str) -> (Vec<Value>, String) {
    let out = looptop(&["attach", addr, "--headless", "--duration", duration]);
    (
        ticks_of(&out),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
