//! Running the real binary to completion, as a script would: its output,
//! and its JSON lines parsed.

// Each test binary that includes this uses what it needs of it.
#![allow(dead_code)]

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
    let out = looptop(&[&["--headless", "--format", "json"], args].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}
