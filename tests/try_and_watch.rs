//! Every built-in scenario's "try" and "watch" texts are promises: each test
//! here applies a scenario's "try", knob by knob as keys would, through the
//! library's `Observed`, and checks what its "watch" says the user will see.

use std::sync::Mutex;
use std::time::Duration;

use looptop::app::Effect;
use looptop::observed::Observed;
use looptop::sampler::snapshot::WarningKind;
use looptop::sampler::Snapshot;
use looptop::settings::{Group, KnobId};
use looptop::workload::chain::report::ChainSample;
use looptop::workload::many_tasks::report::ManyTasksSample;
use looptop::workload::queue::report::QueueSample;
use looptop::workload::requests::report::RequestsSample;
use looptop::workload::threads_vs_tasks::report::ThreadsSample;
use looptop::workload::timeouts::report::TimeoutsSample;

const TICK: Duration = Duration::from_millis(250);
/// Ticks to wait for what a "watch" promises: generous, for a loaded CI
/// machine.
const PATIENCE: usize = 40;

/// One scenario at a time: each runs a runtime of two workers on a
/// two-core machine, and two at once would measure each other.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

struct Run {
    observed: Observed,
    group: Group,
}

impl Run {
    fn start(scenario: &str, group: Group) -> Run {
        let scenario = looptop::scenario::load(scenario).unwrap();
        let observed = Observed::start(2, &scenario.settings).unwrap();
        std::thread::sleep(TICK * 4);
        Run { observed, group }
    }

    /// Sets the knob named `id` (its scenario-file name), as keys would.
    fn set(&mut self, id: &str, value: u64) {
        let index = self
            .group
            .knobs()
            .iter()
            .position(|k| k.id == id)
            .unwrap_or_else(|| panic!("no knob {id}"));
        let knob = KnobId {
            group: self.group,
            index,
        };
        self.observed.apply(Effect::SetKnob(knob, value)).unwrap();
    }

    /// Samples every tick until `done`; the snapshot that satisfied it.
    fn until(&mut self, what: &str, done: impl Fn(&Snapshot) -> bool) -> Snapshot {
        (0..PATIENCE)
            .find_map(|_| {
                std::thread::sleep(TICK);
                Some(self.observed.sample()).filter(&done)
            })
            .unwrap_or_else(|| panic!("never saw {what}"))
    }

    /// The median of `figure` over `ticks` ticks.
    fn median(&mut self, ticks: usize, figure: impl Fn(&Snapshot) -> f64) -> f64 {
        let mut values: Vec<f64> = (0..ticks)
            .map(|_| {
                std::thread::sleep(TICK);
                figure(&self.observed.sample())
            })
            .collect();
        values.sort_by(f64::total_cmp);
        values[ticks / 2]
    }
}

fn warns(s: &Snapshot, kind: WarningKind) -> bool {
    s.warnings.iter().any(|w| w.kind == kind)
}

fn busiest_worker(s: &Snapshot) -> f64 {
    s.workers.iter().map(|w| w.busy_ratio).fold(0.0, f64::max)
}

#[test]
fn queue_fills_under_many_producers_starves_under_few_and_cpu_work_busies_the_workers() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut run = Run::start("queue", Group::Queue);
    let calm = run.median(8, busiest_worker);
    // "Raise producers until the queue fills (backpressure)."
    run.set("producers", 64);
    let full = run.until("the queue full and a backpressure warning", |s| {
        let q = s.section::<QueueSample>().unwrap();
        q.depth >= q.capacity && warns(s, WarningKind::Backpressure)
    });
    assert!(full.section::<QueueSample>().unwrap().waiting_producers > 0);
    // "Lower them until consumers sit idle (starvation)."
    run.set("producers", 1);
    run.until("idle consumers and a starvation warning", |s| {
        s.section::<QueueSample>().unwrap().waiting_consumers > 0
            && warns(s, WarningKind::Starvation)
    });
    // "Set CPU work to 5ms and watch the workers."
    run.set("producers", 4);
    run.set("cpu_work", 5_000);
    std::thread::sleep(TICK * 4);
    let working = run.median(8, busiest_worker);
    assert!(
        working > 2.0 * calm && working > 0.5,
        "busiest worker {calm} → {working} with 5ms of CPU per item"
    );
}

#[test]
fn blocking_every_consumer_pins_every_worker_until_offloaded() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut run = Run::start("blocking", Group::Queue);
    // As it starts, one consumer in four sleeps on its worker: "The warnings
    // feed names the blocked worker and the line that spawned the culprit;
    // Long polls lists it; Scheduling delay climbs to the length of the
    // sleep; the queue fills."
    let blocked = run.until("the queue full and the culprit named", |s| {
        let q = s.section::<QueueSample>().unwrap();
        let named = s.warnings.iter().any(|w| {
            w.kind == WarningKind::BlockedWorker && w.message.contains("src/workload/queue/mod.rs:")
        });
        q.depth >= q.capacity && named && !s.stalls().culprits.is_empty()
    });
    assert!(
        blocked.schedule_delay.as_ref().unwrap().max_us >= 10_000.0,
        "{:?}",
        blocked.schedule_delay
    );
    // "Raise blocking to 100% and watch every worker pin."
    run.set("blocking", 100);
    run.until("every worker blocked at once", |s| {
        s.workers.iter().all(|w| w.blocked_us.is_some())
    });
    // "Then set offload to spawn_blocking: blocking threads appear and the
    // workers recover."
    run.set("offload", 1);
    run.until("blocking threads and no worker blocked", |s| {
        s.runtime.blocking_threads.unwrap() > 0 && s.workers.iter().all(|w| w.blocked_us.is_none())
    });
    let busy = run.median(8, busiest_worker);
    assert!(busy < 0.9, "busiest worker {busy} after offloading");
    // "Try pool (a pool of the workload's own)."
    run.set("offload", 2);
    run.until("the pool's own threads", |s| {
        s.section::<QueueSample>().unwrap().pool_threads > 0
    });
}

#[test]
fn cpu_bound_polls_shrink_to_slices_with_yield_and_long_polls_vanish_off_the_workers() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut run = Run::start("cpu-bound", Group::Queue);
    // "Workers (busy) pinned at 100% in the task."
    let busy = run.median(8, busiest_worker);
    assert!(busy > 0.9, "busiest worker {busy} computing in the task");
    // "Poll times run to tens of milliseconds and more in the task ...":
    // the pane's p99 of the polls that ended, or, in a tick where none did
    // (one poll may compute item after item for seconds), its "running now".
    let longest = |s: &Snapshot| {
        let running = s.stalls().running.iter().map(|r| r.duration_us);
        running.fold(s.poll_times.as_ref().unwrap().p99_us, f64::max)
    };
    let in_task = run.median(8, longest);
    assert!(in_task >= 10_000.0, "p99 poll {in_task}µs in the task");
    // "... and fall into the 1-10ms decade with yield: about 1 ms, the
    // slice, at p50 and at p99, and a few ms at most".
    run.set("offload", 3);
    std::thread::sleep(TICK * 4);
    let p50 = run.median(8, |s| s.poll_times.as_ref().unwrap().p50_us);
    let p99 = run.median(8, longest);
    assert!(
        p50 < 3_000.0 && p99 < 11_000.0 && p99 * 4.0 < in_task,
        "polls in 1ms slices: p50 {p50}µs, p99 {p99}µs; {in_task}µs in the task"
    );
    // "Long polls and the blocked-worker warning vanish once the work
    // leaves the workers."
    run.set("offload", 1);
    run.until("no long poll running and no warning", |s| {
        s.stalls().running.is_empty() && !warns(s, WarningKind::BlockedWorker)
    });
}

#[test]
fn chain_sequential_fan_out_makes_stage_2_the_slowest_and_a_slow_stage_3_backs_up_to_the_source() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut run = Run::start("chain", Group::Chain);
    let latency = |s: &Snapshot| s.section::<ChainSample>().unwrap().latency.p50_us;
    let before = run.median(8, latency);
    // "Set fan-out as to sequential: stage 2 slows by the sum of its
    // sub-requests instead of the longest, becomes the slowest stage, and
    // latency jumps."
    run.set("fanout_mode", 1);
    run.until("stage 2 marked slowest", |s| {
        s.section::<ChainSample>().unwrap().bottleneck() == Some(1)
    });
    let after = run.median(8, latency);
    assert!(
        after > 1.5 * before,
        "latency p50 {before}µs → {after}µs with a sequential fan-out"
    );
    // "Raise s3 wait until its queue fills and backpressure reaches the
    // source."
    run.set("fanout_mode", 0);
    run.set("s3_wait", 200_000);
    let backed_up = run.until("every queue up to stage 3 full", |s| {
        let stages = &s.section::<ChainSample>().unwrap().stages;
        stages[..3].iter().all(|st| st.depth >= st.capacity)
    });
    assert_eq!(
        backed_up.section::<ChainSample>().unwrap().bottleneck(),
        Some(2)
    );
    run.until("the pipeline-full warning", |s| {
        warns(s, WarningKind::PipelineFull)
    });
}

#[test]
fn timeouts_a_deadline_under_the_latency_times_most_out_and_as_completed_spawns_tasks() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut run = Run::start("timeouts", Group::Timeouts);
    let clients = run.median(8, |s| s.runtime.alive_tasks as f64);
    // "Lower the deadline below the mean latency ..."
    run.set("deadline", 10_000);
    std::thread::sleep(TICK * 4);
    let (timed_out, finished) = (
        run.median(8, |s| {
            s.section::<TimeoutsSample>().unwrap().timed_out_per_s
        }),
        run.median(8, |s| s.section::<TimeoutsSample>().unwrap().finished_per_s),
    );
    assert!(
        timed_out > finished,
        "deadline 10ms, mean 40ms: {timed_out}/s timed out, {finished}/s finished"
    );
    // "... then raise it well above."
    run.set("deadline", 1_000_000);
    std::thread::sleep(TICK * 4);
    let late = run.median(8, |s| {
        s.section::<TimeoutsSample>().unwrap().timed_out_per_s
    });
    assert!(late < 1.0, "deadline 1s: {late}/s timed out");
    // "Tasks with as_completed (each request a task)": a round of ten in
    // flight shows as ten more tasks.
    run.set("mode", 2);
    run.until("a task per request in flight", |s| {
        s.runtime.alive_tasks as f64 >= clients + 10.0
    });
}

#[test]
fn threads_vs_tasks_spawn_blocking_caps_at_512_and_std_threads_run_every_job() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut run = Run::start("threads-vs-tasks", Group::ThreadsVsTasks);
    // "Raise jobs each to 1000: with spawn_blocking only 512 thread jobs run
    // (the blocking pool's limit) and the rest queue."
    run.set("jobs", 1_000);
    let capped = run.until("512 thread jobs running, the rest queued", |s| {
        let t = s.section::<ThreadsSample>().unwrap();
        t.threads.running == 512 && t.tasks.running == 1_000
    });
    assert!(capped.runtime.blocking_queue_depth.unwrap() > 0);
    // "The warnings feed says when the blocking pool is full."
    run.until("the blocking-pool warning", |s| {
        warns(s, WarningKind::BlockingPool)
    });
    // "Switch threads via to std::thread and every job gets an OS thread."
    run.set("threads_via", 1);
    let all = run.until("1000 thread jobs running", |s| {
        s.section::<ThreadsSample>().unwrap().threads.running == 1_000
    });
    let t = all.section::<ThreadsSample>().unwrap();
    // "at 1000 jobs with 20µs of work the jobs ask for 4 cores of 2"
    let demand = 2.0 * t.cpu_demand_cores;
    assert!((3.0..=5.0).contains(&demand), "the jobs ask {demand} cores");
    // "... the tasks' jobs done per second collapse though each costs less."
    std::thread::sleep(TICK * 4);
    let side = |s: &Snapshot| s.section::<ThreadsSample>().cloned().unwrap();
    let tasks = run.median(8, |s| side(s).tasks.iterations_per_s);
    let threads = run.median(8, |s| side(s).threads.iterations_per_s);
    assert!(
        tasks < threads / 2.0,
        "jobs done: tasks {tasks}/s, threads {threads}/s"
    );
}

#[test]
fn requests_level_off_as_concurrency_climbs_and_errors_and_timeouts_are_counted() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut run = Run::start("requests", Group::Requests);
    let ok = |s: &Snapshot| s.section::<RequestsSample>().unwrap().ok_per_s;
    let p50 = |s: &Snapshot| s.section::<RequestsSample>().unwrap().latency.p50_us;
    let ok_16 = run.median(8, ok);
    // "Raise concurrency: requests/s grows with it while the site's latency
    // is the limit, then levels off once the machine's cores are busy, and
    // from there latency climbs with every requester added."
    run.set("concurrency", 256);
    std::thread::sleep(TICK * 4);
    let (ok_256, p50_256) = (run.median(8, ok), run.median(8, p50));
    assert!(
        ok_256 > 4.0 * ok_16,
        "ok {ok_16}/s → {ok_256}/s at 16× the requesters"
    );
    run.set("concurrency", 1_024);
    std::thread::sleep(TICK * 4);
    let (ok_1024, p50_1024) = (run.median(8, ok), run.median(8, p50));
    assert!(
        ok_1024 < 2.0 * ok_256 && p50_1024 > 1.5 * p50_256,
        "4× the requesters: ok {ok_256}/s → {ok_1024}/s, p50 {p50_256}µs → {p50_1024}µs"
    );
    run.set("concurrency", 16);
    // "Set mode to crawl."
    run.set("mode", 2);
    run.until("pages crawled and links found", |s| {
        let r = s.section::<RequestsSample>().unwrap();
        r.pages_crawled > 100 && r.links_found > r.pages_crawled
    });
    run.set("mode", 0);
    // "Raise site errors to 20%."
    run.set("error_rate", 20);
    run.until("5xx counted and the request-errors warning", |s| {
        s.section::<RequestsSample>().unwrap().server_errors > 0
            && warns(s, WarningKind::RequestErrors)
    });
    run.set("error_rate", 0);
    // "Lower the timeout under the site latency."
    run.set("server_latency", 100_000);
    run.set("timeout", 50_000);
    let before = run
        .observed
        .sample()
        .section::<RequestsSample>()
        .unwrap()
        .timeouts;
    run.until("requests timing out", |s| {
        s.section::<RequestsSample>().unwrap().timeouts > before + 50
    });
}

#[test]
fn many_tasks_climb_at_the_ramp_keep_their_size_and_wake_in_one_burst_together() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut run = Run::start("many-tasks", Group::ManyTasks);
    let many = |s: &Snapshot| s.section::<ManyTasksSample>().unwrap().clone();
    // "Raise tasks to 1,000,000": here 300,000, to spare the CI machine.
    run.set("tasks", 300_000);
    let climbing = run.until("the count climbing", |s| {
        let m = many(s);
        m.alive > 100_000 && m.alive < 300_000 && m.resident_per_task.is_some()
    });
    let early = many(&climbing).resident_per_task.unwrap();
    let full = run.until("300,000 tasks", |s| many(s).alive == 300_000);
    let m = many(&full);
    let late = m.resident_per_task.unwrap();
    assert!(m.measured_over >= 200_000, "{m:?}");
    // "memory per task stays what it was": a few hundred bytes.
    assert!((64..4_096).contains(&late), "{late} bytes a task");
    let ratio = late as f64 / early as f64;
    assert!(
        (0.67..1.5).contains(&ratio),
        "{early} then {late} bytes a task"
    );
    // Spread, within about the timer's resolution.
    let spread = run.median(8, |s| many(s).late_max_us.unwrap_or(0.0));
    assert!(
        spread < 5_000.0,
        "spread, the tasks run late by {spread}µs at most"
    );
    // "Then set wake to together": the first burst comes within two waits.
    run.set("wake", 1);
    let burst = (0..100)
        .find_map(|_| {
            std::thread::sleep(TICK);
            Some(run.observed.sample()).filter(|s| {
                // A third of the tasks in one tick; spread, a tick wakes
                // a fortieth of them.
                let woke = many(s).wakes_per_s * s.interval_s;
                woke >= 100_000.0
                    && many(s).late_max_us.unwrap_or(0.0) >= 10_000.0
                    && s.schedule_delay.as_ref().unwrap().max_us >= 10_000.0
            })
        })
        .expect("a burst: a third of the tasks woken in one tick, late max and scheduling delay past 10 ms");
    let together = many(&burst).late_max_us.unwrap();
    assert!(
        together > 4.0 * spread,
        "spread {spread}µs, together {together}µs"
    );
}

#[test]
fn mixed_what_one_workload_blocks_all_feel_and_offloading_restores() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut run = Run::start("mixed", Group::Queue);
    let through = |s: &Snapshot| {
        let chain = s.section::<ChainSample>().unwrap().done_per_s;
        let finished = s.section::<TimeoutsSample>().unwrap().finished_per_s;
        (chain, finished)
    };
    let measure = |run: &mut Run| {
        let chain = run.median(8, |s| through(s).0);
        let finished = run.median(8, |s| through(s).1);
        (chain, finished)
    };
    let (chain, finished) = measure(&mut run);
    assert!(chain > 50.0 && finished > 50.0, "{chain} {finished}");

    // "Raise it to 50%: two consumers sleep, both workers are held, and the
    // pipeline and the requests with a deadline, which never changed, stall
    // with the queue."
    run.set("blocking", 50);
    run.until("both workers held by sleeping consumers", |s| {
        let mut held: Vec<usize> = s.stalls().running.iter().map(|r| r.worker).collect();
        held.sort_unstable();
        held.dedup();
        held.len() == 2
    });
    let (stalled_chain, stalled_finished) = measure(&mut run);
    assert!(
        stalled_chain < chain / 2.0 && stalled_finished < finished / 2.0,
        "pipeline {chain} → {stalled_chain}/s, requests {finished} → {stalled_finished}/s"
    );

    // "Set offload to spawn_blocking and see all three recover."
    run.set("offload", 1);
    std::thread::sleep(TICK * 4);
    let (after_chain, after_finished) = measure(&mut run);
    assert!(
        after_chain > chain / 2.0 && after_finished > finished / 2.0,
        "pipeline {after_chain}/s, requests {after_finished}/s after offloading"
    );
}
