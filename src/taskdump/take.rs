//! Taking a dump with tokio, on the platforms it supports.

use std::path::Path;
use std::time::Instant;

use tokio::runtime::dump::{Dump, Trace};
use tokio::runtime::Handle;

use super::{group, tidy, DumpError, Frame, TaskDump, Traced, TIMEOUT};
use crate::stall::names::{name_of, task_key};

/// Takes a dump of the runtime `handle` runs, within `TIMEOUT`. Call it
/// from another runtime (the dashboard's or the sampler's): a worker of
/// the dumped one waits for the dump. Resolving symbols takes a while and
/// runs on a blocking thread of the caller's runtime.
pub async fn take(handle: &Handle) -> Result<TaskDump, DumpError> {
    let started = Instant::now();
    let dump = tokio::time::timeout(TIMEOUT, handle.dump())
        .await
        .map_err(|_| DumpError::TimedOut {
            waited_us: TIMEOUT.as_micros() as f64,
            blocking: Vec::new(),
        })?;
    let tasks = tokio::task::spawn_blocking(move || traced(&dump))
        .await
        .unwrap_or_default();
    Ok(group(tasks, started.elapsed()))
}

fn traced(dump: &Dump) -> Vec<Traced> {
    dump.tasks()
        .iter()
        .map(|task| {
            let (leaf, frames) = summarize(task.trace());
            Traced {
                name: name_of(task_key(task.id())).map(|n| n.to_string()),
                leaf,
                frames,
                trace: task.trace().to_string(),
            }
        })
        .collect()
}

/// The files of the wrappers every named task runs in.
const WRAPPERS: [&str; 2] = ["src/runtime.rs", "src/workload/task_group.rs"];

/// The tokio future a trace waits in, and the workload's own frames,
/// innermost first.
fn summarize(trace: &Trace) -> (Option<String>, Vec<Frame>) {
    let own = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut leaf = None;
    let mut frames: Vec<Frame> = Vec::new();
    for backtrace in trace.resolve_backtraces() {
        for frame in backtrace.frames() {
            for symbol in frame.symbols() {
                let Some(name) = symbol.name_demangled() else {
                    continue;
                };
                let name = tidy(name);
                match symbol.filename().and_then(|f| f.strip_prefix(own).ok()) {
                    // Every workload task runs inside these wrappers: they
                    // say nothing about where it waits.
                    Some(file) if WRAPPERS.iter().any(|w| file.ends_with(w)) => {}
                    Some(file) if file.starts_with("src") => {
                        let frame = Frame {
                            function: short(&name),
                            location: symbol
                                .lineno()
                                .map(|line| format!("{}:{line}", file.display())),
                        };
                        // A task waiting in two places (join!) has a
                        // backtrace for each; their shared frames once.
                        if !frames.contains(&frame) {
                            frames.push(frame);
                        }
                    }
                    // The first tokio frame past the tracing machinery is
                    // the future the task waits in.
                    _ if leaf.is_none() && frames.is_empty() && is_leaf(&name) => {
                        leaf = Some(short(&name));
                    }
                    _ => {}
                }
            }
        }
    }
    (leaf, frames)
}

fn is_leaf(name: &str) -> bool {
    let tokio = name.starts_with("tokio::") || name.starts_with("<tokio::");
    tokio && !name.contains("::trace::") && !name.contains("runtime::task::")
}

/// The last two path segments of a symbol, generics aside:
/// `<tokio::sync::notify::Notified as Future>::poll` → `Notified::poll`.
fn short(name: &str) -> String {
    let name = without_generics(name);
    // `<Type as Trait>::method`: the type's name and the method.
    let name = match name.strip_prefix('<').and_then(|n| n.split_once(" as ")) {
        Some((ty, rest)) => match rest.rsplit_once(">::") {
            Some((_, method)) => format!("{ty}::{method}"),
            None => ty.to_string(),
        },
        None => name,
    };
    let mut segments: Vec<&str> = name.rsplit("::").take(2).collect();
    segments.reverse();
    segments.join("::")
}

/// `BoundedQueue<T>::push` → `BoundedQueue::push`; a leading `<` (a trait
/// impl) stays.
fn without_generics(name: &str) -> String {
    let (head, body) = match name.strip_prefix('<') {
        Some(rest) => ("<", rest),
        None => ("", name),
    };
    let mut out = String::from(head);
    let mut depth = 0usize;
    for c in body.chars() {
        match c {
            '<' => depth += 1,
            '>' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn symbols_shorten_to_their_type_and_function() {
        assert_eq!(
            short("<tokio::sync::notify::Notified as core::future::future::Future>::poll"),
            "Notified::poll"
        );
        assert_eq!(
            short("looptop::workload::bounded_queue::BoundedQueue<T>::push"),
            "BoundedQueue::push"
        );
        assert_eq!(
            short("<looptop::Wrap<F> as core::future::future::Future>::poll"),
            "Wrap::poll"
        );
        assert_eq!(short("looptop::workload::queue::produce"), "queue::produce");
    }
}
