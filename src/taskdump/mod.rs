//! Task dumps: where every task of the observed runtime waits, grouped by
//! identical await trace and cut to the frames that say something: the
//! workload's own code, and the tokio future it waits in. tokio takes them
//! (`Handle::dump`) on Linux for x86, x86_64, aarch64 and s390x; elsewhere
//! looptop builds without and says so.

#[cfg(taskdumps)]
mod take;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::sampler::snapshot::Stall;

/// What a platform without task dumps says when asked for one.
pub const UNSUPPORTED: &str = "task dumps need Linux (x86, x86_64, aarch64, s390x)";

/// How long a dump may take. A worker blocked for more than 250 ms keeps
/// tokio's dump from ever finishing (its docs say so).
pub const TIMEOUT: Duration = Duration::from_secs(1);

/// Every task, grouped by where it waits, the biggest group first.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TaskDump {
    pub tasks: usize,
    pub groups: Vec<Group>,
    /// How long the dump and its symbols took.
    pub took_us: f64,
    /// Polls holding a worker as the dump was taken: tokio cannot trace a
    /// task while it runs, so these are named from the long-poll tracker.
    pub held: Vec<String>,
}

/// Tasks with the same await trace.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Group {
    pub count: usize,
    /// The tasks' names, those of a numbered family as one (`producer-*`);
    /// unnamed tasks are counted.
    pub names: Vec<String>,
    /// The tokio future the tasks wait in, if the trace reaches one.
    pub leaf: Option<String>,
    /// The workload's own frames, innermost first.
    pub frames: Vec<Frame>,
    /// One task's whole trace, as tokio prints it.
    pub trace: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Frame {
    pub function: String,
    /// `src/…:line`, when the symbol says.
    pub location: Option<String>,
}

/// Why there is no dump.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum DumpError {
    Unsupported,
    /// The runtime did not pause in time: a worker is held (`blocking`
    /// says by what, as Long polls does), or, with none held, it wakes
    /// tasks too often to stop.
    TimedOut {
        waited_us: f64,
        blocking: Vec<String>,
    },
}

impl DumpError {
    /// A timed-out dump names the polls holding workers right now.
    pub fn timed_out(waited: Duration, running: &[Stall]) -> Self {
        DumpError::TimedOut {
            waited_us: waited.as_micros() as f64,
            blocking: held(running),
        }
    }
}

impl std::fmt::Display for DumpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DumpError::Unsupported => f.write_str(UNSUPPORTED),
            DumpError::TimedOut {
                waited_us,
                blocking,
            } => {
                let waited = crate::format::micros(*waited_us);
                if blocking.is_empty() {
                    // No poll holds a worker: the runtime is too busy
                    // waking tasks for tokio to pause every worker (seen
                    // with hundreds of tasks waking every few ms).
                    write!(
                        f,
                        "no dump after {waited}: tokio could not pause every worker; \
                         none is held, so the runtime wakes tasks too often to stop"
                    )
                } else {
                    write!(
                        f,
                        "no dump after {waited}: a worker is held, and tokio's dump waits \
                         for every worker; {}",
                        blocking.join("; ")
                    )
                }
            }
        }
    }
}

/// Takes a dump of the runtime `handle` runs, within `TIMEOUT`; resolving
/// its symbols runs on a blocking thread of the caller's runtime.
#[cfg(taskdumps)]
pub use take::take;

#[cfg(not(taskdumps))]
pub async fn take(_: &tokio::runtime::Handle) -> Result<TaskDump, DumpError> {
    Err(DumpError::Unsupported)
}

/// "worker 1 held 2.10s by consumer-0 (src/…:137)" for each poll running
/// past the stall threshold.
pub fn held(running: &[Stall]) -> Vec<String> {
    running
        .iter()
        .map(|s| {
            format!(
                "worker {} held {} by {} ({})",
                s.worker,
                crate::format::micros(s.duration_us),
                s.task,
                s.location
            )
        })
        .collect()
}

/// A dump's result with what held workers as it was taken.
pub fn with_held(
    result: Result<TaskDump, DumpError>,
    running: &[Stall],
) -> Result<TaskDump, DumpError> {
    match result {
        Ok(dump) => Ok(TaskDump {
            held: held(running),
            ..dump
        }),
        Err(DumpError::TimedOut { waited_us, .. }) => Err(DumpError::timed_out(
            Duration::from_micros(waited_us as u64),
            running,
        )),
        Err(other) => Err(other),
    }
}

/// One task as a dump saw it.
pub struct Traced {
    pub name: Option<String>,
    pub leaf: Option<String>,
    pub frames: Vec<Frame>,
    pub trace: String,
}

/// Tasks grouped by leaf and frames, biggest group first (ties by leaf).
pub fn group(tasks: Vec<Traced>, took: Duration) -> TaskDump {
    let total = tasks.len();
    // (leaf, frames) → (the tasks' names, the first one's trace)
    type Where = (Option<String>, Vec<Frame>);
    let mut groups: BTreeMap<Where, (Vec<Option<String>>, String)> = BTreeMap::new();
    for task in tasks {
        let entry = groups
            .entry((task.leaf, task.frames))
            .or_insert_with(|| (Vec::new(), task.trace));
        entry.0.push(task.name);
    }
    let mut groups: Vec<Group> = groups
        .into_iter()
        .map(|((leaf, frames), (names, trace))| Group {
            count: names.len(),
            names: families(names),
            leaf,
            frames,
            trace,
        })
        .collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.count));
    TaskDump {
        tasks: total,
        groups,
        took_us: took.as_micros() as f64,
        held: Vec::new(),
    }
}

/// Names with a number after their last `-` as one family (`producer-*`),
/// the unnamed as a count, in order.
fn families(names: Vec<Option<String>>) -> Vec<String> {
    let mut unnamed = 0;
    let mut seen: Vec<String> = Vec::new();
    for name in names {
        let Some(name) = name else {
            unnamed += 1;
            continue;
        };
        let family = match name.rsplit_once('-') {
            Some((stem, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                format!("{stem}-*")
            }
            _ => name,
        };
        if !seen.contains(&family) {
            seen.push(family);
        }
    }
    seen.sort();
    if unnamed > 0 {
        seen.push(format!("{unnamed} unnamed"));
    }
    seen
}

/// The dump as text: a group a line, and where its tasks wait below.
pub fn render(dump: &TaskDump) -> String {
    let mut text = format!(
        "  {} tasks in {} groups, taken in {}\n",
        dump.tasks,
        dump.groups.len(),
        crate::format::micros(dump.took_us)
    );
    for held in &dump.held {
        text += &format!("  held now, so not in the dump: {held}\n");
    }
    for group in &dump.groups {
        text += &format!("  {:>6}  {}\n", group.count, group.names.join(", "));
        text += &format!("          waiting in {}\n", path(group));
    }
    text
}

/// "Notified::poll ← BoundedQueue::push (src/…:60) ← queue::produce (…)".
pub fn path(group: &Group) -> String {
    let mut path: Vec<String> = group.leaf.iter().cloned().collect();
    path.extend(group.frames.iter().map(|f| match &f.location {
        Some(at) => format!("{} ({at})", f.function),
        None => f.function.clone(),
    }));
    if path.is_empty() {
        "(no trace: not waiting in a tokio future)".to_string()
    } else {
        path.join(" ← ")
    }
}

/// A symbol without its hash suffix and closure markers:
/// `looptop::workload::queue::produce::{{closure}}::h0123` → `…::produce`.
pub fn tidy(symbol: &str) -> String {
    let mut name = symbol;
    if let Some((stem, hash)) = name.rsplit_once("::h") {
        if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            name = stem;
        }
    }
    let mut name = name.to_string();
    while let Some(stem) = name.strip_suffix("::{{closure}}") {
        name = stem.to_string();
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn traced(name: Option<&str>, leaf: &str, frames: &[&str]) -> Traced {
        Traced {
            name: name.map(str::to_string),
            leaf: Some(leaf.to_string()),
            frames: frames
                .iter()
                .map(|f| Frame {
                    function: f.to_string(),
                    location: None,
                })
                .collect(),
            trace: format!("{leaf} <- {}", frames.join(" <- ")),
        }
    }

    #[test]
    fn tasks_with_one_trace_are_one_group_biggest_first() {
        let push = ["BoundedQueue::push", "produce"];
        let pop = ["BoundedQueue::pop", "consume"];
        let dump = group(
            vec![
                traced(Some("consumer-0"), "Notified", &pop),
                traced(Some("producer-0"), "Notified", &push),
                traced(Some("producer-1"), "Notified", &push),
                traced(None, "Notified", &push),
                traced(Some("producer-12"), "Notified", &push),
            ],
            Duration::from_millis(3),
        );
        assert_eq!(dump.tasks, 5);
        assert_eq!(dump.groups.len(), 2);
        let first = &dump.groups[0];
        assert_eq!(first.count, 4);
        assert_eq!(first.names, ["producer-*", "1 unnamed"]);
        assert_eq!(first.frames[0].function, "BoundedQueue::push");
        assert_eq!(dump.groups[1].names, ["consumer-*"]);
        assert_eq!(dump.took_us, 3_000.0);
    }

    #[test]
    fn only_numbered_names_make_a_family() {
        let names = ["site", "stage-2", "stage-10", "stage-x", "job-"];
        let names = names.iter().map(|n| Some(n.to_string())).collect();
        assert_eq!(families(names), ["job-", "site", "stage-*", "stage-x"]);
    }

    #[test]
    fn symbols_lose_their_hash_and_closures() {
        assert_eq!(
            tidy("looptop::workload::queue::produce::{{closure}}::h0123456789abcdef"),
            "looptop::workload::queue::produce"
        );
        assert_eq!(
            tidy("tokio::sync::notify::Notified::poll"),
            "tokio::sync::notify::Notified::poll"
        );
    }

    #[test]
    fn a_timed_out_dump_with_no_worker_held_says_the_runtime_is_too_busy() {
        let error = DumpError::timed_out(Duration::from_secs(1), &[]);
        assert!(
            error.to_string().contains("wakes tasks too often"),
            "{error}"
        );
    }

    #[test]
    fn a_timed_out_dump_names_what_holds_the_workers() {
        let held = Stall {
            task: "consumer-0".to_string(),
            location: "src/workload/queue/mod.rs:137".to_string(),
            worker: 1,
            duration_us: 2_100_000.0,
            ..Stall::default()
        };
        let error = DumpError::timed_out(Duration::from_secs(1), &[held]);
        assert_eq!(
            error.to_string(),
            "no dump after 1.00s: a worker is held, and tokio's dump waits for every worker; \
             worker 1 held 2.10s by consumer-0 (src/workload/queue/mod.rs:137)"
        );
    }
}
