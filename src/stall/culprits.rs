//! The worst offenders of the last minute: long polls grouped by the place
//! their task was spawned, which is where a fix goes.

use std::collections::{HashMap, VecDeque};
use std::panic::Location;
use std::time::{Duration, Instant};

use super::cause::Cause;
use crate::sampler::snapshot::Culprit;

pub struct Culprits {
    window: Duration,
    /// One entry per sample that saw long polls, oldest first.
    ticks: VecDeque<(Instant, Vec<Group>)>,
}

/// One long poll that ended, as the culprit list keeps it.
#[derive(Clone, Debug)]
pub struct Ended {
    pub location: &'static Location<'static>,
    pub duration: Duration,
    pub task: String,
    pub cause: Cause,
    pub syscall: Option<String>,
}

#[derive(Clone, Debug)]
struct Group {
    location: &'static Location<'static>,
    count: u64,
    longest: Duration,
    /// The task of the longest poll.
    task: String,
    /// The longest poll whose cause is known: (its length, cause, call).
    known: Option<(Duration, Cause, Option<String>)>,
}

impl Culprits {
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            ticks: VecDeque::new(),
        }
    }

    /// Adds one sample's finished long polls and forgets samples older
    /// than the window.
    pub fn record(&mut self, now: Instant, polls: impl IntoIterator<Item = Ended>) {
        let mut groups: Vec<Group> = Vec::new();
        for poll in polls {
            let location = poll.location;
            let poll = Group {
                location,
                count: 1,
                longest: poll.duration,
                task: poll.task,
                known: (poll.cause != Cause::Unknown).then_some((
                    poll.duration,
                    poll.cause,
                    poll.syscall,
                )),
            };
            match groups.iter_mut().find(|g| g.location == location) {
                Some(group) => group.merge(poll),
                None => groups.push(poll),
            }
        }
        if !groups.is_empty() {
            self.ticks.push_back((now, groups));
        }
        while let Some((at, _)) = self.ticks.front() {
            if now.duration_since(*at) <= self.window {
                break;
            }
            self.ticks.pop_front();
        }
    }

    /// Up to `n` spawn locations, the longest poll first.
    pub fn top(&self, n: usize) -> Vec<Culprit> {
        let mut merged: HashMap<&'static Location<'static>, Group> = HashMap::new();
        for group in self.ticks.iter().flat_map(|(_, groups)| groups) {
            merged
                .entry(group.location)
                .and_modify(|g| g.merge(group.clone()))
                .or_insert_with(|| group.clone());
        }
        let mut groups: Vec<Group> = merged.into_values().collect();
        groups.sort_by(|a, b| {
            b.longest
                .cmp(&a.longest)
                .then(b.count.cmp(&a.count))
                .then(a.location.cmp(b.location))
        });
        groups
            .into_iter()
            .take(n)
            .map(|g| {
                let (cause, syscall) = g
                    .known
                    .map_or((Cause::Unknown, None), |(_, cause, call)| (cause, call));
                Culprit {
                    location: location(g.location),
                    task: g.task,
                    count: g.count,
                    longest_us: g.longest.as_micros() as f64,
                    cause,
                    syscall,
                }
            })
            .collect()
    }

    pub fn clear(&mut self) {
        self.ticks.clear();
    }
}

impl Group {
    fn merge(&mut self, other: Group) {
        self.count += other.count;
        let longer_known = match (&self.known, &other.known) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some((mine, ..)), Some((theirs, ..))) => theirs > mine,
        };
        if longer_known {
            self.known = other.known;
        }
        if other.longest > self.longest {
            self.longest = other.longest;
            self.task = other.task;
        }
    }
}

/// file:line, as an editor opens it.
pub fn location(location: &Location<'_>) -> String {
    format!("{}:{}", location.file(), location.line())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn here() -> &'static Location<'static> {
        Location::caller()
    }

    fn ended(location: &'static Location<'static>, duration: Duration, task: &str) -> Ended {
        Ended {
            location,
            duration,
            task: task.to_string(),
            cause: Cause::Unknown,
            syscall: None,
        }
    }

    #[test]
    fn groups_by_location_keeps_counts_and_the_longest() {
        let (a, b) = (here(), here());
        let ms = Duration::from_millis;
        let t0 = Instant::now();
        let mut culprits = Culprits::new(Duration::from_secs(60));
        culprits.record(
            t0,
            [
                ended(a, ms(20), "consumer-0"),
                ended(b, ms(15), "producer-1"),
                ended(a, ms(40), "consumer-2"),
            ],
        );
        culprits.record(t0 + ms(250), [ended(a, ms(30), "consumer-1")]);
        let top = culprits.top(8);
        assert_eq!(top.len(), 2);
        assert_eq!(top[0].location, location(a));
        assert_eq!((top[0].count, top[0].longest_us), (3, 40_000.0));
        assert_eq!(top[0].task, "consumer-2", "the task of the longest poll");
        assert_eq!((top[1].count, top[1].task.as_str()), (1, "producer-1"));
        assert_eq!(culprits.top(1).len(), 1);
    }

    #[test]
    fn polls_older_than_the_window_are_forgotten() {
        let a = here();
        let t0 = Instant::now();
        let mut culprits = Culprits::new(Duration::from_secs(60));
        culprits.record(t0, [ended(a, Duration::from_millis(90), "old")]);
        culprits.record(
            t0 + Duration::from_secs(61),
            [ended(a, Duration::from_millis(12), "new")],
        );
        let top = culprits.top(8);
        assert_eq!((top[0].count, top[0].task.as_str()), (1, "new"));
        culprits.clear();
        assert!(culprits.top(8).is_empty());
    }

    #[test]
    fn a_group_takes_the_cause_of_its_longest_known_poll() {
        let a = here();
        let ms = Duration::from_millis;
        let mut culprits = Culprits::new(Duration::from_secs(60));
        let blocked = Ended {
            cause: Cause::Blocked,
            syscall: Some("nanosleep".to_string()),
            ..ended(a, ms(300), "consumer-0")
        };
        let computing = Ended {
            cause: Cause::Computing,
            ..ended(a, ms(100), "consumer-1")
        };
        // The longest poll of all ended unseen: its cause is unknown.
        culprits.record(
            Instant::now(),
            [computing, blocked, ended(a, ms(900), "consumer-2")],
        );
        let top = culprits.top(8);
        assert_eq!(
            (top[0].longest_us, top[0].task.as_str()),
            (900_000.0, "consumer-2")
        );
        assert_eq!(top[0].cause, Cause::Blocked);
        assert_eq!(top[0].syscall.as_deref(), Some("nanosleep"));
    }
}
