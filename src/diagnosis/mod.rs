//! Live diagnosis: rules over the latest ticks name a problem when it
//! appears and drop it once it has been gone for a moment.

pub mod rules;

use std::collections::VecDeque;

use crate::sampler::snapshot::Warning;
use crate::sampler::Snapshot;

/// Ticks a warning stays after its rule stops firing, so an intermittent
/// problem reads as one warning instead of a flicker.
pub const LINGER: u64 = 4;
/// Ticks the rules can look back.
const RECENT: usize = 8;

#[derive(Default)]
pub struct Diagnosis {
    recent: VecDeque<Snapshot>,
    active: Vec<Active>,
}

struct Active {
    warning: Warning,
    last_seen: u64,
}

impl Diagnosis {
    /// Adds a tick; returns the warnings that stand after it.
    pub fn update(&mut self, snapshot: &Snapshot) -> Vec<Warning> {
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(snapshot.clone());
        let recent = self.recent.make_contiguous();
        let tick = snapshot.tick;
        for found in rules::RULES.iter().filter_map(|rule| rule(recent)) {
            match self
                .active
                .iter_mut()
                .find(|a| a.warning.kind == found.kind)
            {
                Some(active) => {
                    // The advice follows the message: a long poll first
                    // seen only as it ended may be told computing later.
                    active.warning.message = found.message;
                    active.warning.advice = found.advice.to_string();
                    active.last_seen = tick;
                }
                None => self.active.push(Active {
                    warning: Warning {
                        kind: found.kind,
                        message: found.message,
                        advice: found.advice.to_string(),
                        since_s: snapshot.uptime_s,
                        clearing: false,
                    },
                    last_seen: tick,
                }),
            }
        }
        self.active
            .retain(|a| tick.saturating_sub(a.last_seen) < LINGER);
        for active in &mut self.active {
            active.warning.clearing = active.last_seen != tick;
        }
        self.active.iter().map(|a| a.warning.clone()).collect()
    }

    /// Forgets everything, as after a statistics reset (ticks restart at 1).
    pub fn reset(&mut self) {
        self.recent.clear();
        self.active.clear();
    }

    #[cfg(test)]
    fn is_active(&self, kind: crate::sampler::snapshot::WarningKind) -> bool {
        self.active.iter().any(|a| a.warning.kind == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampler::snapshot::{Cause, Culprit, Distribution, Stall, WarningKind};
    use crate::workload::queue::report::QueueSample;

    fn tick(t: u64, change: impl Fn(&mut Snapshot)) -> Snapshot {
        let mut s = Snapshot {
            tick: t,
            uptime_s: t as f64 * 0.25,
            ..Snapshot::measured()
        };
        s.stalls.as_mut().unwrap().threshold_us = 10_000.0;
        s.sections.put(QueueSample {
            depth: 5,
            capacity: 64,
            producers: 4,
            consumers: 4,
            ..QueueSample::default()
        });
        change(&mut s);
        s
    }

    fn kinds(warnings: &[Warning]) -> Vec<WarningKind> {
        warnings.iter().map(|w| w.kind).collect()
    }

    #[test]
    fn a_blocked_worker_is_named_at_once_and_lingers_briefly() {
        let mut d = Diagnosis::default();
        let blocked = tick(1, |s| {
            s.stalls.as_mut().unwrap().worst = Some(Stall {
                task: "consumer-0".into(),
                location: "src/workload/queue/mod.rs:115".into(),
                worker: 1,
                duration_us: 25_000.0,
                running: false,
                ..Stall::default()
            })
        });
        let warnings = d.update(&blocked);
        assert_eq!(kinds(&warnings), [WarningKind::BlockedWorker]);
        assert_eq!(
            warnings[0].message,
            "worker 1 held 25ms by consumer-0 (src/workload/queue/mod.rs:115)"
        );
        assert!(warnings[0].advice.contains("spawn_blocking"));
        assert!(!warnings[0].clearing, "seen this tick");
        for t in 2..=LINGER {
            assert!(d.is_active(WarningKind::BlockedWorker));
            let lingering = d.update(&tick(t, |_| {}));
            assert_eq!(lingering.len(), 1, "tick {t}");
            assert!(
                lingering[0].clearing,
                "not seen at tick {t}: its figures are older"
            );
        }
        assert!(d.update(&tick(LINGER + 1, |_| {})).is_empty(), "cleared");
    }

    #[test]
    fn a_long_poll_is_told_computing_or_blocked_with_advice_for_each() {
        let stall = |cause, syscall: Option<&str>| Stall {
            task: "consumer-0".into(),
            location: "src/workload/queue/mod.rs:115".into(),
            worker: 0,
            duration_us: 800_000.0,
            running: true,
            cause,
            syscall: syscall.map(str::to_string),
            cpu_share: Some(0.0),
        };
        let warned = |worst: Stall, culprits: Vec<Culprit>| {
            let mut d = Diagnosis::default();
            let warnings = d.update(&tick(1, |s| {
                s.stalls.as_mut().unwrap().worst = Some(worst.clone());
                s.stalls.as_mut().unwrap().culprits = culprits.clone();
            }));
            (warnings[0].message.clone(), warnings[0].advice.clone())
        };
        let (message, advice) = warned(stall(Cause::Blocked, Some("nanosleep")), vec![]);
        assert!(
            message.starts_with("worker 0 blocked 800ms so far in nanosleep by consumer-0"),
            "{message}"
        );
        assert_eq!(advice, Cause::Blocked.advice());
        let computing = Stall {
            cpu_share: Some(0.97),
            ..stall(Cause::Computing, None)
        };
        let (message, advice) = warned(computing, vec![]);
        assert!(
            message.starts_with("worker 0 computing 800ms so far by"),
            "{message}"
        );
        assert!(advice.contains("yield_now") && advice.contains("rayon"));
        assert_ne!(Cause::Computing.advice(), Cause::Blocked.advice());
        let starved = Stall {
            cpu_share: Some(0.2),
            ..stall(Cause::Computing, None)
        };
        let (message, _) = warned(starved, vec![]);
        assert!(
            message.contains("computing 800ms so far, given 20% of a core, by"),
            "{message}"
        );
        // Ended unseen: its spawn location's known cause speaks for it.
        let culprit = Culprit {
            location: "src/workload/queue/mod.rs:115".into(),
            cause: Cause::Computing,
            ..Culprit::default()
        };
        let (message, advice) = warned(stall(Cause::Unknown, None), vec![culprit]);
        assert!(
            message.starts_with("worker 0 computing 800ms so far by"),
            "{message}"
        );
        assert_eq!(advice, Cause::Computing.advice());
        let (message, advice) = warned(stall(Cause::Unknown, None), vec![]);
        assert!(
            message.ends_with("(src/workload/queue/mod.rs:115)"),
            "{message}"
        );
        assert_eq!(advice, Cause::Unknown.advice());

        // Told later, while the warning stands: the advice follows.
        let mut d = Diagnosis::default();
        d.update(&tick(1, |s| {
            s.stalls.as_mut().unwrap().worst = Some(stall(Cause::Unknown, None))
        }));
        let later = d.update(&tick(2, |s| {
            s.stalls.as_mut().unwrap().worst = Some(stall(Cause::Blocked, Some("read")))
        }));
        assert_eq!(later[0].advice, Cause::Blocked.advice());
    }

    #[test]
    fn backpressure_needs_a_sustained_full_queue_with_waiting_producers() {
        let full = |t| {
            tick(t, |s| {
                s.section_mut::<QueueSample>().unwrap().depth = 64;
                s.section_mut::<QueueSample>().unwrap().waiting_producers = 3;
            })
        };
        let mut d = Diagnosis::default();
        for t in 1..rules::SUSTAINED as u64 {
            assert!(d.update(&full(t)).is_empty(), "not yet at tick {t}");
        }
        let warnings = d.update(&full(rules::SUSTAINED as u64));
        assert_eq!(kinds(&warnings), [WarningKind::Backpressure]);
        assert_eq!(
            warnings[0].message,
            "queue full (64/64): 3 of 4 producers wait for room"
        );
        let since = warnings[0].since_s;
        let later = d.update(&full(5));
        assert_eq!(
            later[0].since_s, since,
            "one warning, not a new one per tick"
        );
    }

    #[test]
    fn starvation_needs_most_consumers_idle() {
        let empty = |waiting| {
            move |t| {
                tick(t, move |s| {
                    s.section_mut::<QueueSample>().unwrap().depth = 0;
                    s.section_mut::<QueueSample>().unwrap().waiting_consumers = waiting;
                })
            }
        };
        let mut d = Diagnosis::default();
        let half = empty(2);
        let seen: Vec<_> = (1..=8).flat_map(|t| d.update(&half(t))).collect();
        assert!(seen.is_empty(), "half idle is a balanced queue: {seen:?}");
        let most = empty(3);
        let seen: Vec<_> = (9..=12).flat_map(|t| d.update(&most(t))).collect();
        assert_eq!(kinds(&seen), [WarningKind::Starvation]);
    }

    #[test]
    fn saturation_scheduling_delay_and_the_blocking_pool() {
        let mut d = Diagnosis::default();
        let mut last = Vec::new();
        for t in 1..=4 {
            last = d.update(&tick(t, |s| {
                s.runtime.busy_ratio = 0.97;
                s.runtime.local_queue_depth = Some(5);
                s.schedule_delay = Some(Distribution {
                    count: 100,
                    p99_us: 12_000.0,
                    ..Distribution::default()
                });
                s.runtime.blocking_threads = Some(512);
                s.runtime.blocking_queue_depth = Some(40);
            }));
        }
        assert_eq!(
            kinds(&last),
            [
                WarningKind::SchedulingDelay,
                WarningKind::BlockingPool,
                WarningKind::Saturated
            ],
            "in the order they began"
        );
        assert!(
            last[0].message.contains("tasks wait ~12ms (p99)"),
            "a bucket's bound, marked so: {}",
            last[0].message
        );
        assert!(last[2]
            .message
            .contains("97% busy, 5 runnable tasks waiting"));
        assert!(last[1]
            .message
            .contains("512 threads busy, 40 calls queued"));
        d.reset();
        assert!(!d.is_active(WarningKind::Saturated));
    }

    #[test]
    fn without_the_local_queues_saturation_counts_at_least_the_global_one() {
        let mut d = Diagnosis::default();
        let mut last = Vec::new();
        for t in 1..=4 {
            last = d.update(&tick(t, |s| {
                s.runtime.busy_ratio = 0.97;
                s.runtime.global_queue_depth = 3;
                s.runtime.local_queue_depth = None;
            }));
        }
        assert_eq!(kinds(&last), [WarningKind::Saturated]);
        assert!(
            last[0]
                .message
                .contains("at least 3 runnable tasks waiting"),
            "{last:?}"
        );
    }

    #[test]
    fn gauges_read_apart_may_disagree_without_a_panic() {
        let mut d = Diagnosis::default();
        let mut last = Vec::new();
        for t in 1..=2 {
            last = d.update(&tick(t, |s| {
                s.runtime.blocking_threads = Some(3);
                s.runtime.idle_blocking_threads = Some(4);
                s.runtime.blocking_queue_depth = Some(1);
            }));
        }
        assert!(last[0].message.contains("0 threads busy"), "{last:?}");
    }

    #[test]
    fn a_backed_up_pipeline_with_nothing_out_gives_no_latency() {
        use crate::workload::chain::report::{ChainSample, StageSample};
        use crate::workload::latency::Latency;
        let chain = |latency: Latency| {
            move |s: &mut Snapshot| {
                s.sections.put(ChainSample {
                    latency,
                    stages: vec![StageSample {
                        depth: 16,
                        capacity: 16,
                        ..StageSample::default()
                    }],
                    ..ChainSample::default()
                })
            }
        };
        let warning = |latency: Latency| {
            let mut d = Diagnosis::default();
            let mut last = Vec::new();
            for t in 1..=4 {
                last = d.update(&tick(t, chain(latency)));
            }
            let full = last.iter().find(|w| w.kind == WarningKind::PipelineFull);
            full.expect("the pipeline warning").message.clone()
        };
        let nothing_out = warning(Latency::default());
        assert!(nothing_out.contains("no item came out"), "{nothing_out}");
        assert!(!nothing_out.contains("p99"), "{nothing_out}");
        let slow = warning(Latency {
            count: 3,
            p99_us: 4_200_000.0,
            ..Latency::default()
        });
        assert!(slow.contains("end-to-end p99 4.20s"), "{slow}");
    }
}
