//! tokio-console attached to a running looptop: the real binary serves the
//! endpoint, a console-api client reads the task list.
#![cfg(feature = "console")]

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use console_api::field::{Name, Value};
use console_api::instrument::instrument_client::InstrumentClient;
use console_api::instrument::InstrumentRequest;
use tokio::time::{sleep, timeout, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn looptop(args: &[&str]) -> KillOnDrop {
    let child = Command::new(env!("CARGO_BIN_EXE_looptop"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start looptop");
    KillOnDrop(child)
}

/// Task names, with the file each was spawned from, seen in the console's
/// updates until `enough` holds for the names.
async fn task_names(
    url: String,
    enough: impl Fn(&BTreeSet<String>) -> bool,
) -> BTreeMap<String, String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut client = loop {
        match InstrumentClient::connect(url.clone()).await {
            Ok(client) => break client,
            Err(e) if Instant::now() > deadline => panic!("cannot reach {url}: {e}"),
            Err(_) => sleep(Duration::from_millis(100)).await,
        }
    };
    let mut updates = client
        .watch_updates(InstrumentRequest {})
        .await
        .expect("watch updates")
        .into_inner();
    let mut names = BTreeMap::new();
    while !enough(&names.keys().cloned().collect()) {
        let left = deadline.saturating_duration_since(Instant::now());
        let update = match timeout(left, updates.message()).await {
            Ok(Ok(Some(update))) => update,
            other => panic!("no more updates ({other:?}); names so far: {names:?}"),
        };
        for task in update.task_update.into_iter().flat_map(|u| u.new_tasks) {
            let file = task.location.and_then(|l| l.file).unwrap_or_default();
            for field in task.fields {
                if let (Some(Name::StrName(name)), Some(Value::DebugVal(v) | Value::StrVal(v))) =
                    (field.name, field.value)
                {
                    if name == "task.name" && !v.is_empty() {
                        names.insert(v, file.clone());
                    }
                }
            }
        }
    }
    names
}

#[test]
fn console_lists_tasks_named_after_the_workload() {
    let addr = format!("127.0.0.1:{}", free_port());
    let _looptop = looptop(&[
        "--headless",
        "--console",
        &addr,
        "--duration",
        "60s",
        "--producers",
        "3",
        "--consumers",
        "2",
    ]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let expected: BTreeSet<String> = [
        "producer-0",
        "producer-1",
        "producer-2",
        "consumer-0",
        "consumer-1",
    ]
    .map(String::from)
    .into();
    let names = runtime.block_on(task_names(format!("http://{addr}"), |names| {
        expected.is_subset(names)
    }));
    for name in &expected {
        let file = &names[name];
        assert!(
            file.ends_with("src/workload/queue/mod.rs"),
            "{name} spawned at {file:?}, not in the workload"
        );
    }
    assert!(
        !names.keys().any(|n| n.starts_with("console")),
        "the console's own tasks stay hidden: {names:?}"
    );
}

#[test]
fn an_address_in_use_is_a_clear_start_up_error() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_looptop"))
        .args(["--headless", "--console", &addr, "--duration", "1s"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains(&addr) && err.contains("--console ADDR"),
        "{err}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing runs when the endpoint cannot be served"
    );
}
