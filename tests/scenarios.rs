//! Scenarios from the outside: the list, each built-in scenario's signature
//! when run headless, and the one-line errors of broken scenario files.

#[path = "support/run.rs"]
mod run;

use run::{json_lines, looptop};
use serde_json::Value;

/// The JSON ticks of a short headless run.
fn ticks(args: &[&str]) -> Vec<Value> {
    json_lines(&[&["--duration", "3s"], args].concat())
}

fn warned(ticks: &[Value], kind: &str) -> bool {
    ticks.iter().any(|t| {
        t["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["kind"] == kind)
    })
}

/// The run's latest warning of `kind`: the first of a long poll may name
/// one that ended unseen, its cause unknown.
fn latest_warning<'a>(ticks: &'a [Value], kind: &str) -> &'a Value {
    ticks
        .iter()
        .flat_map(|t| t["warnings"].as_array().unwrap())
        .rfind(|w| w["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} warning"))
}

/// The median over the second half of the run (after it settles).
fn settled(ticks: &[Value], pointer: &str) -> f64 {
    let mut values: Vec<f64> = ticks[ticks.len() / 2..]
        .iter()
        .map(|t| t.pointer(pointer).and_then(Value::as_f64).unwrap())
        .collect();
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[test]
fn scenarios_lists_every_built_in_with_its_summary() {
    let out = looptop(&["scenarios"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for name in [
        "queue",
        "blocking",
        "cpu-bound",
        "chain",
        "timeouts",
        "threads-vs-tasks",
        "requests",
        "mixed",
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} missing from:\n{text}"));
        assert!(line.len() > name.len() + 20, "no summary: {line}");
    }
}

#[test]
fn queue_moves_items() {
    let t = ticks(&["--scenario", "queue"]);
    assert!(settled(&t, "/queue/consumed_per_s") > 100.0);
}

#[test]
fn blocking_stalls_a_worker_until_offloaded() {
    let blocked = ticks(&["--scenario", "blocking"]);
    let warning = latest_warning(&blocked, "blocked_worker");
    let message = warning["message"].as_str().unwrap();
    assert!(
        message.contains("by consumer-0 (src/workload/queue/mod.rs:"),
        "names the task and where it was spawned: {message}"
    );
    // The consumer sleeps: its worker's thread is asleep in the kernel,
    // and the advice is for a blocking call, not for CPU work.
    let culprit = &blocked.last().unwrap()["stalls"]["culprits"][0];
    assert_eq!(culprit["cause"], "blocked", "{culprit}");
    let call = culprit["syscall"].as_str().unwrap_or_default();
    assert!(call.contains("sleep"), "blocked in a sleep: {culprit}");
    let advice = warning["advice"].as_str().unwrap();
    assert!(advice.contains("async version"), "{advice}");
    let shown_blocked = blocked.iter().any(|t| {
        t["workers"].as_array().unwrap().iter().any(|w| {
            w["blocked_us"].as_f64().is_some_and(|us| us >= 10_000.0) && w["busy_ratio"] == 1.0
        })
    });
    assert!(shown_blocked, "a worker shows as blocked, not idle");
    let delay = settled(&blocked, "/schedule_delay/p99_us");
    assert!(delay >= 10_000.0, "p99 scheduling delay {delay}µs");
    // Poll times' maximum never reads below a poll that ended this tick as
    // the hooks timed it (the histogram, read a moment earlier, may count
    // that poll a tick later), and no percentile passes it.
    let ended = blocked
        .iter()
        .filter(|t| t["stalls"]["longest_ended_us"].is_number())
        .collect::<Vec<_>>();
    assert!(!ended.is_empty(), "long polls ended");
    for t in ended {
        let p = &t["poll_times"];
        let longest = t["stalls"]["longest_ended_us"].as_f64().unwrap();
        assert!(p["max_us"].as_f64().unwrap() >= longest, "{t}");
        assert!(p["p99_us"].as_f64() <= p["max_us"].as_f64(), "{p}");
    }

    let offloaded = ticks(&["--scenario", "blocking", "--offload", "spawn_blocking"]);
    assert!(!warned(&offloaded[offloaded.len() / 2..], "blocked_worker"));
    let after = settled(&offloaded, "/schedule_delay/p99_us");
    assert!(
        after < delay / 4.0,
        "p99 {after}µs after offloading, {delay}µs before"
    );
    assert!(settled(&offloaded, "/runtime/blocking_threads") > 0.0);
}

#[test]
fn cpu_bound_polls_are_long_in_tasks_and_short_when_sliced() {
    let in_task = ticks(&["--scenario", "cpu-bound"]);
    let long = settled(&in_task, "/poll_times/p99_us");
    assert!(
        long >= 20_000.0,
        "p99 poll {long}µs with 20ms of CPU per item"
    );
    // Its long polls compute: the advice is for CPU work, not for a
    // blocking call.
    let culprit = &in_task.last().unwrap()["stalls"]["culprits"][0];
    assert_eq!(culprit["cause"], "computing", "{culprit}");
    let warning = latest_warning(&in_task, "blocked_worker");
    let message = warning["message"].as_str().unwrap();
    assert!(message.contains(" computing "), "{message}");
    assert!(warning["advice"].as_str().unwrap().contains("yield_now"));
    let sliced = ticks(&["--scenario", "cpu-bound", "--offload", "yield"]);
    let short = settled(&sliced, "/poll_times/p99_us");
    // Relative, not absolute: on a loaded machine the OS stretches slices too.
    assert!(
        short * 4.0 <= long,
        "p99 poll {short}µs in 1ms slices, {long}µs in the task"
    );
}

#[test]
fn chain_reports_every_stage() {
    let t = ticks(&["--scenario", "chain"]);
    let last = t.last().unwrap();
    assert!(last.get("queue").is_none(), "no queue in this scenario");
    let stages = last["chain"]["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 4);
    for i in 0..4 {
        let rate = settled(&t, &format!("/chain/stages/{i}/per_s"));
        assert!(rate > 50.0, "stage {} moves items: {rate}/s", i + 1);
    }
    assert!(
        settled(&t, "/chain/latency/p50_us") > 12_000.0,
        "stage 3 alone waits 12ms"
    );
}

#[test]
fn timeouts_counts_timed_out_work() {
    let t = ticks(&["--scenario", "timeouts"]);
    let last = &t.last().unwrap()["timeouts"];
    assert_eq!(last["mode"], "timeout");
    let (finished, timed_out) = (
        last["finished_total"].as_f64().unwrap(),
        last["timed_out_total"].as_f64().unwrap(),
    );
    // Exponential latencies around 40 ms against a 60 ms deadline: about a
    // fifth time out.
    assert!(finished > 100.0 && timed_out > 10.0, "{last}");
    assert!(timed_out < finished, "{last}");
    assert_eq!(last["cancelled_total"], 0);
    // The deadline is 60 ms; a loaded machine may poll a finished request
    // late, so allow 25 ms of scheduling on top. The slowest of every tick,
    // not a typical tick: a late minority must not hide.
    let slowest = t
        .iter()
        .map(|t| t["timeouts"]["latency"]["max_us"].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert!(
        slowest <= 85_000.0,
        "nothing finishes after the deadline: {slowest}µs"
    );
}

#[test]
fn threads_vs_tasks_runs_both_sides_and_the_threads_are_blocking_threads() {
    let t = ticks(&["--scenario", "threads-vs-tasks"]);
    let last = t.last().unwrap();
    let side = &last["threads_vs_tasks"];
    assert_eq!(side["jobs"], 100);
    assert_eq!(side["tasks"]["running"], 100);
    assert_eq!(side["threads"]["running"], 100, "{side}");
    assert!(last["runtime"]["blocking_threads"].as_u64().unwrap() >= 100);
    for which in ["tasks", "threads"] {
        let rate = settled(&t, &format!("/threads_vs_tasks/{which}/iterations_per_s"));
        // 100 jobs of about 10 ms each: some 9,000 a second.
        assert!(rate > 3_000.0, "{which}: {rate}/s");
    }
    let side =
        |which: &str, field: &str| settled(&t, &format!("/threads_vs_tasks/{which}/{field}"));
    // Measured from the process's resident memory, not a stack size: a
    // blocking thread touches a few pages of its 2 MiB stack.
    let thread_memory = side("threads", "resident_per_job");
    assert!(
        thread_memory > 0.0
            && thread_memory
                < last["threads_vs_tasks"]["stack_reserved_bytes"]
                    .as_f64()
                    .unwrap()
                    / 8.0,
        "{thread_memory} B resident per thread"
    );
    assert!(side("tasks", "cpu_cores") > 0.0 && side("threads", "cpu_cores") > 0.0);
}

#[test]
fn a_thread_costs_more_cpu_per_wake_up_than_a_task() {
    // Jobs that only wait, so their CPU is all waking up: a thread's is the
    // kernel switching to it and back, a task's the runtime polling it.
    let file = run::scenario_file(
        "threads-vs-tasks",
        "wakes",
        &[
            ("jobs = 100", "jobs = 300"),
            ("cpu = \"20us\"", "cpu = \"0\""),
            (
                "threads_via = \"spawn_blocking\"",
                "threads_via = \"std::thread\"",
            ),
        ],
    );
    let t = ticks(&["--scenario", file.to_str().unwrap()]);
    let per_job = |which: &str| settled(&t, &format!("/threads_vs_tasks/{which}/cpu_per_job_us"));
    let (task, thread) = (per_job("tasks"), per_job("threads"));
    assert!(
        task > 0.0 && thread > 1.3 * task,
        "CPU per job: task {task}µs, thread {thread}µs"
    );
    let rate = settled(&t, "/threads_vs_tasks/threads/iterations_per_s");
    assert!(rate > 10_000.0, "300 jobs of about 10.5 ms: {rate}/s");
}

#[test]
fn threads_stop_at_the_machines_cap_with_the_reason_and_the_run_goes_on() {
    use std::os::unix::process::CommandExt;
    // A user allowed 300 processes: looptop starts at most half of them,
    // less its own threads, and says which limit that is. The limit counts
    // the user's threads everywhere and is not enforced on root, so only
    // for root (as CI runs) can it be lowered without stopping the run.
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: lowering RLIMIT_NPROC is safe only for root");
        return;
    }
    let file = run::scenario_file(
        "threads-vs-tasks",
        "capped",
        &[
            ("jobs = 100", "jobs = 400"),
            (
                "threads_via = \"spawn_blocking\"",
                "threads_via = \"std::thread\"",
            ),
        ],
    );
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_looptop"));
    command.args(["--headless", "--format", "json", "--duration", "3s"]);
    command.args(["--scenario", file.to_str().unwrap()]);
    // SAFETY: setrlimit is async-signal-safe; nothing else runs here.
    unsafe {
        command.pre_exec(|| {
            nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_NPROC, 300, 300)
                .map_err(std::io::Error::from)
        });
    }
    let out = command.stdin(std::process::Stdio::null()).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let last = &t.last().unwrap()["threads_vs_tasks"];
    let cap = last["thread_cap"].as_u64().unwrap();
    assert!(
        cap > 0 && cap < 150,
        "half of 300, less the threads running: {cap}"
    );
    assert_eq!(last["threads"]["running"].as_u64(), Some(cap), "{last}");
    assert_eq!(last["tasks"]["running"], 400, "the tasks are not capped");
    let reason = last["thread_cap_reason"].as_str().unwrap();
    assert!(reason.starts_with("half of RLIMIT_NPROC"), "{reason}");
}

#[test]
fn many_tasks_climb_to_their_count_headless() {
    let file = run::scenario_file(
        "many-tasks",
        "fewer",
        &[
            ("tasks = 100000", "tasks = 30000"),
            ("ramp = 50000", "ramp = 20000"),
        ],
    );
    let t = ticks(&["--scenario", file.to_str().unwrap()]);
    let alive: Vec<u64> = t
        .iter()
        .map(|t| t["many_tasks"]["alive"].as_u64().unwrap())
        .collect();
    assert!(
        alive.windows(2).all(|w| w[0] <= w[1]),
        "climbing: {alive:?}"
    );
    assert!(
        alive[0] < 30_000,
        "at the ramp's rate, not at once: {alive:?}"
    );
    assert_eq!(*alive.last().unwrap(), 30_000, "{alive:?}");
    let last = &t.last().unwrap()["many_tasks"];
    let per_task = last["resident_per_task"].as_u64().unwrap();
    assert!((64..8_192).contains(&per_task), "{per_task} bytes a task");
    let runtime_alive = t.last().unwrap()["runtime"]["alive_tasks"]
        .as_u64()
        .unwrap();
    assert!(
        runtime_alive >= 30_000,
        "tokio counts them too: {runtime_alive}"
    );
}

#[test]
fn mixed_runs_three_workloads_on_one_runtime() {
    let t = ticks(&["--scenario", "mixed"]);
    for section in ["queue", "chain", "timeouts"] {
        assert!(t.last().unwrap().get(section).is_some(), "no {section}");
    }
    assert!(settled(&t, "/queue/consumed_per_s") > 100.0);
    assert!(settled(&t, "/chain/done_per_s") > 100.0);
    assert!(settled(&t, "/timeouts/finished_per_s") > 100.0);
}

#[test]
fn requests_against_the_embedded_site_add_up() {
    let t = ticks(&["--scenario", "requests"]);
    let r = &t.last().unwrap()["requests"];
    assert_eq!(r["mode"], "closed");
    let count = |k: &str| r[k].as_u64().unwrap();
    let ended = count("ok")
        + count("redirects")
        + count("client_errors")
        + count("server_errors")
        + count("timeouts")
        + count("connect_errors")
        + count("other_errors")
        + count("too_large");
    assert!(count("ok") > 1_000, "{r}");
    assert!(
        count("sent") >= ended && count("sent") - ended <= count("concurrency") + 1,
        "{r}"
    );
    assert!(count("server_errors") > 0, "1% of answers are 500s: {r}");
    assert!(
        settled(&t, "/requests/latency/p50_us") >= 2_000.0,
        "the site waits 2-4 ms"
    );
    // The site's side: a keep-alive connection per requester (and for a
    // moment the old one of a requester that reconnects), and its thread's
    // CPU, which the process's includes.
    let open = count("site_connections");
    assert!(
        open >= count("concurrency") && open <= count("concurrency") + 4,
        "{r}"
    );
    let site = settled(&t, "/requests/site_cpu_cores");
    let process = settled(&t, "/runtime/process_cpu_cores");
    assert!(
        site > 0.0 && site < process,
        "site {site}, process {process}"
    );
}

#[test]
fn the_process_cpu_covers_the_workers_and_stays_within_the_machine() {
    let t = ticks(&["--scenario", "cpu-bound"]);
    for tick in &t[t.len() / 2..] {
        let process = tick["runtime"]["process_cpu_cores"].as_f64().unwrap();
        let cores = tick["runtime"]["cores"].as_f64().unwrap();
        let workers: f64 = tick["workers"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|w| w["cpu_ratio"].as_f64())
            .sum();
        // Read a moment apart: a little slack either way.
        assert!(
            process + 0.1 >= workers,
            "process {process}, workers {workers}"
        );
        assert!(process <= cores + 0.1, "process {process} of {cores} cores");
    }
    assert!(
        settled(&t, "/runtime/process_cpu_cores") > 0.5,
        "the consumers compute"
    );
}

#[test]
fn an_unreachable_target_is_counted_not_fatal() {
    let t = json_lines(&[
        "--duration",
        "1s",
        "--scenario",
        "requests",
        "--target",
        "http://127.0.0.1:1",
    ]);
    let r = &t.last().unwrap()["requests"];
    assert_eq!(r["target"], "http://127.0.0.1:1/", "the whole URL");
    assert!(r["connect_errors"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(r["ok"], 0);
    let out = looptop(&["--headless", "--target", "http://127.0.0.1:1"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "the queue scenario sends no requests"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--target aims the requests workload"));
}

#[test]
fn a_flag_for_a_workload_the_scenario_lacks_is_refused() {
    let out = looptop(&["--headless", "--scenario", "chain", "--producers", "3"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("--producers sets the queue workload, which this scenario does not run"),
        "{stderr}"
    );
}

/// Runs looptop on a scenario file with this text; its one-line error.
fn error_for(text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("looptop-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{:x}.toml", fxhash(text)));
    std::fs::write(&path, text).unwrap();
    let out = looptop(&[
        "--headless",
        "--duration",
        "1s",
        "--scenario",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{text}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(path.to_str().unwrap()),
        "names the file: {stderr}"
    );
    assert!(out.stdout.is_empty());
    stderr
}

fn fxhash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

const GOOD_HEAD: &str = r#"name = "mine"
summary = "a test"
[explain]
models = "m"
asyncio = "a"
tokio = "t"
try = "t"
watch = "w"
"#;

#[test]
fn a_good_file_runs() {
    let dir = std::env::temp_dir().join(format!("looptop-good-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mine.toml");
    std::fs::write(&path, format!("{GOOD_HEAD}[queue]\nproducers = 1\n")).unwrap();
    let t = ticks(&["--scenario", path.to_str().unwrap()]);
    assert_eq!(t.last().unwrap()["queue"]["producers"], 1);
}

#[test]
fn a_file_of_only_its_workload_runs() {
    let dir = std::env::temp_dir().join(format!("looptop-minimal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("minimal.toml");
    std::fs::write(&path, "[queue]\nproducers = 2\n").unwrap();
    let t = ticks(&["--scenario", path.to_str().unwrap()]);
    let last = t.last().unwrap();
    assert_eq!(last["queue"]["producers"], 2);
    assert_eq!(last["queue"]["consumers"], 4, "the rest at their defaults");
}

#[test]
fn broken_files_say_where_and_what_is_allowed() {
    let unknown = error_for(&format!(
        "{GOOD_HEAD}[queue]\nproducers = 1\nprodcers = 2\n"
    ));
    assert!(unknown.contains("line 11"), "{unknown}");
    assert!(
        unknown.contains("unknown knob `prodcers`") && unknown.contains("producers, consumers"),
        "{unknown}"
    );

    let wrong_type = error_for(&format!("{GOOD_HEAD}[queue]\nio_wait = true\n"));
    assert!(wrong_type.contains("line 10"), "{wrong_type}");
    assert!(
        wrong_type.contains("`io_wait` must be a duration from 0s to 10s"),
        "{wrong_type}"
    );

    let out_of_range = error_for(&format!("{GOOD_HEAD}[queue]\nconsumers = 5000\n"));
    assert!(out_of_range.contains("line 10"), "{out_of_range}");
    assert!(
        out_of_range.contains("a whole number from 0 to 1024, got 5000"),
        "{out_of_range}"
    );

    let choice = error_for(&format!("{GOOD_HEAD}[queue]\noffload = \"later\"\n"));
    assert!(choice.contains("\"spawn_blocking\""), "{choice}");

    let not_toml = error_for("name = \"x\nsummary = 3\n");
    assert!(
        not_toml.contains("not valid TOML") && not_toml.contains("line 1"),
        "{not_toml}"
    );

    let no_workload = error_for(GOOD_HEAD);
    assert!(
        no_workload.contains("missing a workload table"),
        "{no_workload}"
    );

    let top = error_for(&format!("{GOOD_HEAD}[queues]\n"));
    assert!(top.contains("unknown key `queues`"), "{top}");
}

#[test]
fn a_live_switch_to_a_broken_file_keeps_the_running_scenario() {
    let queue = looptop::scenario::load("queue").unwrap();
    let mut observed = looptop::observed::Observed::start(2, &queue.settings).unwrap();
    let broken = std::env::temp_dir().join(format!("looptop-broken-{}.toml", std::process::id()));
    std::fs::write(&broken, "name = \"broken\"\n[queue\n").unwrap();
    let effect = looptop::app::Effect::SwitchScenario(broken.to_string_lossy().into_owned());
    let error = observed
        .apply(effect)
        .expect_err("a broken file does not load");
    assert!(error.to_string().contains("not valid TOML"), "{error}");
    assert_eq!(observed.settings(), queue.settings, "the queue runs on");
    let chain = looptop::app::Effect::SwitchScenario("chain".to_string());
    let switched = observed.apply(chain).unwrap().expect("a scenario");
    assert_eq!(switched.name, "chain");
    assert!(observed.settings().queue().is_none());
}

#[test]
fn an_unknown_name_lists_the_built_ins() {
    let out = looptop(&["--headless", "--scenario", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("no such scenario; built in: queue, blocking"),
        "{stderr}"
    );
}

#[test]
fn a_pool_of_the_workloads_own_shows_its_threads() {
    let t = ticks(&["--scenario", "cpu-bound", "--offload", "pool"]);
    let last = t.last().unwrap();
    assert_eq!(
        last["queue"]["pool_threads"], last["runtime"]["cores"],
        "one thread a core: {}",
        last["queue"]
    );
    let in_task = ticks(&["--scenario", "cpu-bound"]);
    assert_eq!(in_task.last().unwrap()["queue"]["pool_threads"], 0);
}
