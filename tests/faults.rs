//! Faults at the edge of the real binary: the system refusing what the
//! workload asks of it. Nothing may spin, and the dashboard must say why.

#[path = "support/run.rs"]
mod run;

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// CPU seconds `pid` has used so far (user + system), from /proc.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

#[test]
fn out_of_file_descriptors_is_said_and_nothing_spins() {
    // 2,000 requesters, each holding a descriptor at both ends, under a
    // hard limit of 256; answers slow enough that those which connect
    // cost little CPU.
    let file = run::scenario_file(
        "requests",
        "many",
        &[
            ("concurrency = 16", "concurrency = 2000"),
            ("server_latency = \"2ms\"", "server_latency = \"200ms\""),
        ],
    );

    let mut command = Command::new(env!("CARGO_BIN_EXE_looptop"));
    command
        .args(["--headless", "--duration", "5s", "--scenario"])
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs in the child.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 256,
                rlim_max: 256,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn().unwrap();
    // From 1 s in (start-up done) to 4 s: the CPU it burns meanwhile.
    std::thread::sleep(Duration::from_secs(1));
    let (cpu0, t0) = (cpu_seconds(child.id()), Instant::now());
    std::thread::sleep(Duration::from_secs(3));
    let cores = (cpu_seconds(child.id()) - cpu0) / t0.elapsed().as_secs_f64();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");

    // A retry loop on a failing connect or accept takes a core or more.
    assert!(
        cores < 0.6,
        "{cores:.2} cores busy while out of descriptors"
    );

    let ticks: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let warning = ticks
        .iter()
        .flat_map(|t| t["warnings"].as_array().unwrap())
        .find(|w| w["kind"] == "out_of_files")
        .unwrap_or_else(|| panic!("no out_of_files warning in {}", ticks.last().unwrap()));
    let message = warning["message"].as_str().unwrap();
    assert!(message.contains("(limit 256)"), "{message}");
    let last = &ticks.last().unwrap()["requests"];
    assert!(last["out_of_files"].as_u64().unwrap() > 0, "{last}");
    assert!(
        last["backing_off"].as_u64().unwrap() > 0,
        "requesters wait: {last}"
    );
    let _ = std::fs::remove_file(&file);
}

/// A server on loopback that greets every connection with `answer` and
/// hangs up; counts the connections it took.
fn hostile_server(answer: &'static [u8]) -> (u16, std::sync::Arc<std::sync::atomic::AtomicU64>) {
    use std::io::Write;
    use std::sync::atomic::{AtomicU64, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let taken = std::sync::Arc::new(AtomicU64::new(0));
    let counter = taken.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counter.fetch_add(1, Ordering::Relaxed);
            let _ = stream.write_all(answer);
        }
    });
    (port, taken)
}

/// A headless run of 16 requesters against `port` for 3 s: its last tick.
fn requests_against(port: u16) -> Value {
    let target = format!("http://127.0.0.1:{port}");
    let ticks = run::json_lines(&[
        "--duration",
        "3s",
        "--scenario",
        "requests",
        "--target",
        &target,
    ]);
    ticks.last().expect("a tick").clone()
}

#[test]
fn failing_servers_are_retried_with_backoff_not_hammered() {
    use std::sync::atomic::Ordering;
    // 16 requesters retrying at once would make thousands of connections
    // a second; waiting 10 ms, then twice as long after each failure (up
    // to 1 s), each makes at most about ten in 3 s.
    let most = 16 * 12;
    let refused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let last = requests_against(refused);
    let failed = last["requests"]["connect_errors"].as_u64().unwrap();
    assert!(failed > 0 && failed <= most, "{failed} refused connects");
    assert!(
        last["requests"]["backing_off"].as_u64().unwrap() > 0,
        "{last}"
    );

    for (what, answer) in [
        ("hangs up at once", &b""[..]),
        ("answers garbage", &b"garbage\r\n\r\n"[..]),
    ] {
        let (port, taken) = hostile_server(answer);
        let last = requests_against(port);
        let connections = taken.load(Ordering::Relaxed);
        assert!(
            connections > 0 && connections <= most,
            "a server that {what}: {connections} connections in 3 s"
        );
        let requests = &last["requests"];
        assert_eq!(requests["ok"], 0, "{requests}");
        assert!(requests["backing_off"].as_u64().unwrap() > 0, "{requests}");
    }
}
