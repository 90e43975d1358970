//! Task dumps of the real binary, headless (`--dump-at`): tasks grouped by
//! where they wait, and a dump that cannot finish naming what holds a
//! worker. tokio takes dumps on Linux for x86, x86_64, aarch64 and s390x.

#![cfg(taskdumps)]

#[path = "support/run.rs"]
mod run;

use serde_json::Value;

/// The dump a headless run printed at `at`.
fn dump(args: &[&str]) -> Value {
    let lines = run::json_lines(&[args, &["--dump-at", "2s", "--duration", "3s"]].concat());
    let dumps: Vec<&Value> = lines.iter().filter_map(|l| l.get("task_dump")).collect();
    assert_eq!(dumps.len(), 1, "one dump: {dumps:?}");
    dumps[0].clone()
}

/// The group whose names include `family`, and where it waits.
fn group_of<'a>(dump: &'a Value, family: &str) -> &'a Value {
    dump["groups"]
        .as_array()
        .unwrap_or_else(|| panic!("no groups: {dump}"))
        .iter()
        .find(|g| g["names"].as_array().unwrap().iter().any(|n| n == family))
        .unwrap_or_else(|| panic!("no {family} group: {dump}"))
}

fn functions(group: &Value) -> Vec<&str> {
    group["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["function"].as_str().unwrap())
        .collect()
}

#[test]
fn a_full_queue_groups_the_producers_waiting_to_push() {
    let dump = dump(&["--producers", "64"]);
    let producers = group_of(&dump, "producer-*");
    assert_eq!(producers["count"], 64, "{producers}");
    assert_eq!(dump["groups"][0], *producers, "the biggest group first");
    let frames = functions(producers);
    assert!(frames.contains(&"BoundedQueue::push"), "{frames:?}");
    assert!(frames.contains(&"queue::produce"), "{frames:?}");
    let at = producers["frames"][0]["location"].as_str().unwrap();
    assert!(at.starts_with("src/workload/bounded_queue.rs:"), "{at}");
}

#[test]
fn an_empty_queue_groups_the_consumers_waiting_to_pop() {
    let dump = dump(&["--producers", "0", "--consumers", "8"]);
    let consumers = group_of(&dump, "consumer-*");
    assert_eq!(consumers["count"], 8, "{consumers}");
    let frames = functions(consumers);
    assert!(frames.contains(&"BoundedQueue::pop"), "{frames:?}");
    assert!(frames.contains(&"queue::consume"), "{frames:?}");
}

#[test]
fn a_blocked_worker_is_named_whether_or_not_the_dump_finishes() {
    // Every consumer sleeps 5 s on its worker. tokio's dump may wait for
    // the held worker until it times out, or finish without the task it
    // cannot trace while it runs; either way the dump names it.
    let dump = dump(&[
        "--scenario",
        "blocking",
        "--blocking",
        "100",
        "--io-wait",
        "5s",
    ]);
    let named = if dump["error"] == "timed_out" {
        &dump["blocking"]
    } else {
        &dump["held"]
    };
    let named = named.as_array().unwrap_or_else(|| panic!("{dump}"));
    assert!(
        named.iter().any(|b| {
            let b = b.as_str().unwrap();
            b.contains("held")
                && b.contains("by consumer-")
                && b.contains("src/workload/queue/mod.rs:")
        }),
        "{dump}"
    );
}
