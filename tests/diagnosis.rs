//! Live diagnosis end to end on the real runtime: settings that cause a
//! problem raise its warning, and undoing them clears it. Driven through the
//! library's `Observed`, so a knob can change mid-run as a key press would.

use std::time::Duration;

use looptop::app::Effect;
use looptop::observed::Observed;
use looptop::sampler::snapshot::WarningKind;
use looptop::sampler::Snapshot;
use looptop::settings::{Group, KnobId, Settings};
use looptop::workload::requests::Target;
use looptop::workload::{QueueKnob, QueueSettings};

const TICK: Duration = Duration::from_millis(250);
/// Ticks to wait for a warning to appear or clear: generous, for a loaded
/// CI machine; the rules need 4 ticks and clearing 4 more.
const PATIENCE: usize = 40;

fn has(snapshot: &Snapshot, kind: WarningKind) -> bool {
    snapshot.warnings.iter().any(|w| w.kind == kind)
}

/// Samples every tick until `done`; the snapshot that satisfied it.
fn until(observed: &mut Observed, done: impl Fn(&Snapshot) -> bool) -> Option<Snapshot> {
    (0..PATIENCE).find_map(|_| {
        std::thread::sleep(TICK);
        Some(observed.sample()).filter(&done)
    })
}

/// Starts `settings`, waits for `kind`, applies `undo`, waits for it to go.
fn appears_then_clears(workers: usize, settings: QueueSettings, kind: WarningKind, undo: Effect) {
    let mut observed = Observed::start(workers, &Settings::for_queue(settings)).unwrap();
    let seen = until(&mut observed, |s| has(s, kind));
    let seen = seen.unwrap_or_else(|| panic!("no {kind:?} warning under {settings:?}"));
    let warning = seen.warnings.iter().find(|w| w.kind == kind).unwrap();
    assert!(!warning.advice.is_empty(), "{warning:?}");
    observed.apply(undo.clone()).unwrap();
    assert!(
        until(&mut observed, |s| !has(s, kind)).is_some(),
        "{kind:?} did not clear after {undo:?}"
    );
}

#[test]
fn saturation_appears_and_clears() {
    // One worker, eight consumers wanting 2 ms of CPU per 1 ms of waiting.
    let settings = QueueSettings {
        consumers: 8,
        produce_interval_us: 1_000,
        io_wait_us: 1_000,
        cpu_work_us: 2_000,
        ..QueueSettings::default()
    };
    appears_then_clears(
        1,
        settings,
        WarningKind::Saturated,
        Effect::SetKnob(QueueKnob::CpuWork.into(), 0),
    );
}

#[test]
fn backpressure_appears_and_clears() {
    // Four fast producers, one consumer, a small queue.
    let settings = QueueSettings {
        consumers: 1,
        capacity: 16,
        produce_interval_us: 1_000,
        ..QueueSettings::default()
    };
    appears_then_clears(
        2,
        settings,
        WarningKind::Backpressure,
        Effect::SetKnob(QueueKnob::ProduceInterval.into(), 100_000),
    );
}

#[test]
fn starvation_appears_and_clears() {
    // One slow producer feeding four consumers.
    let settings = QueueSettings {
        producers: 1,
        produce_interval_us: 100_000,
        ..QueueSettings::default()
    };
    appears_then_clears(
        2,
        settings,
        WarningKind::Starvation,
        Effect::SetKnob(QueueKnob::ProduceInterval.into(), 1_000),
    );
}

#[test]
fn a_blocking_consumer_is_named_and_offloading_it_ends_the_stalls() {
    let settings = QueueSettings {
        blocking_pct: 50,
        io_wait_us: 20_000,
        ..QueueSettings::default()
    };
    let mut observed = Observed::start(2, &Settings::for_queue(settings)).unwrap();
    let seen = until(&mut observed, |s| has(s, WarningKind::BlockedWorker))
        .expect("a blocked-worker warning");
    let culprit = &seen.stalls().culprits[0];
    assert!(
        culprit.location.starts_with("src/workload/queue/mod.rs:"),
        "{culprit:?}"
    );
    assert!(
        ["consumer-0", "consumer-1"].contains(&culprit.task.as_str()),
        "the first half of the consumers block: {culprit:?}"
    );
    assert!(culprit.longest_us >= 10_000.0, "{culprit:?}");

    observed
        .apply(Effect::SetKnob(QueueKnob::Offload.into(), 1))
        .unwrap();
    let calm = until(&mut observed, |s| {
        !has(s, WarningKind::BlockedWorker) && s.stalls().long_polls == 0
    });
    let calm = calm.expect("no more long polls once the sleep runs on spawn_blocking");
    assert!(
        calm.runtime.blocking_threads.unwrap() > 0,
        "{:?}",
        calm.runtime
    );
}

fn knob(group: Group, id: &str) -> KnobId {
    let index = group.knobs().iter().position(|k| k.id == id).unwrap();
    KnobId { group, index }
}

/// Starts `settings` with `change` applied, waits for `kind` and checks its
/// message, undoes the change and waits for the warning to go.
fn names_then_clears(settings: Settings, kind: WarningKind, said: &str, change: (KnobId, u64)) {
    let mut observed = Observed::start(2, &settings).unwrap();
    let before = settings.get(change.0).unwrap();
    observed.apply(Effect::SetKnob(change.0, change.1)).unwrap();
    let seen = until(&mut observed, |s| has(s, kind))
        .unwrap_or_else(|| panic!("no {kind:?} warning after {change:?}"));
    let warning = seen.warnings.iter().find(|w| w.kind == kind).unwrap();
    assert!(warning.message.contains(said), "{warning:?}");
    observed.apply(Effect::SetKnob(change.0, before)).unwrap();
    assert!(
        until(&mut observed, |s| !has(s, kind)).is_some(),
        "{kind:?} did not clear"
    );
}

#[test]
fn a_slow_pipeline_stage_is_named_when_its_queue_fills() {
    // Stage 3 at 200 ms an item, four tasks: 20 items a second of 200.
    names_then_clears(
        Settings::defaults(&[Group::Chain]),
        WarningKind::PipelineFull,
        "stage 3 is the slowest",
        (knob(Group::Chain, "s3_wait"), 200_000),
    );
}

#[test]
fn failing_requests_are_named_by_kind() {
    // From the default 1% of 5xx, which is no news, to half.
    names_then_clears(
        Settings::defaults(&[Group::Requests]),
        WarningKind::RequestErrors,
        "answers were 5xx",
        (knob(Group::Requests, "error_rate"), 50),
    );
    // Nothing listens there: every connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let target = Target::parse(&format!("http://127.0.0.1:{port}")).ok();
    let settings = Settings::defaults(&[Group::Requests]);
    let mut observed = Observed::start_with_target(2, &settings, target).unwrap();
    let seen = until(&mut observed, |s| has(s, WarningKind::RequestErrors))
        .expect("a request-errors warning");
    let warning = &seen.warnings[0];
    assert!(
        warning.message.contains("connections failed"),
        "{warning:?}"
    );
    assert!(warning.advice.contains("refuses"), "{warning:?}");
}
