//! Headless mode: the same workload and sampler, no terminal UI. Prints one
//! JSON object per tick, or a readable summary at the end.

mod summary;

use std::io::{self, Write};
use std::time::Duration;

use tokio::time::{sleep_until, Instant};

use crate::attach::Attached;
use crate::cli::{Cli, Format};
use crate::observed::Observed;
use crate::recording::{Header, Sinks};
use crate::sampler::Snapshot;
use crate::settings::Settings;
use crate::signals::Shutdown;
use crate::source::Source;
use crate::taskdump::{DumpError, TaskDump};
pub use summary::Summary;

/// Runs until the duration is up, or a signal ends it (its number is
/// returned, for the exit status 128 + signal the dashboard uses too).
pub fn run(
    cli: &Cli,
    scenario: &str,
    settings: &Settings,
    out: &mut impl Write,
) -> io::Result<Option<i32>> {
    // The sampler's own runtime and signal handlers first: a workload may
    // use up the process's file descriptors, and these need some.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let shutdown = runtime.block_on(async { Shutdown::listen() })?;
    // Ticks on time however many threads the workload runs.
    let raised = crate::priority::raise_this_thread();
    crate::priority::stop_passing_on();
    tracing::info!(?raised, "the sampler's thread priority");
    let observed = Observed::start_with_target(cli.workers(), settings, cli.target())?;
    let mut source: Box<dyn Source> = Box::new(observed);
    let header = Header::new(scenario, source.workers(), cli.tick.as_secs_f64(), settings);
    let mut serving = None;
    let sinks = crate::tui::sinks(cli, header, settings, &mut serving)?;
    if let Some(addr) = serving {
        eprintln!("looptop: serving on {addr}{}", off_loopback(addr));
    }
    follow(
        cli,
        scenario,
        source.as_mut(),
        sinks,
        (runtime, shutdown),
        out,
    )
}

/// `looptop attach ADDR --headless`: another run's ticks, printed as they
/// come; a connection lost is a line on stderr, and it tries again.
pub fn attach(cli: &Cli, attached: Attached, out: &mut impl Write) -> io::Result<Option<i32>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let shutdown = runtime.block_on(async { Shutdown::listen() })?;
    let sinks = crate::tui::attach_sinks(cli, &attached)?;
    let mut attached = attached;
    follow(
        cli,
        "attached",
        &mut attached,
        sinks,
        (runtime, shutdown),
        out,
    )
}

/// Says so when an endpoint is open beyond this machine.
pub fn off_loopback(addr: std::net::SocketAddr) -> &'static str {
    if addr.ip().is_loopback() {
        ""
    } else {
        " (not loopback: visible to the network)"
    }
}

/// Samples `source` every tick until the duration is up or a signal comes,
/// printing each tick (JSON) or a summary at the end (text).
fn follow(
    cli: &Cli,
    scenario: &str,
    source: &mut dyn Source,
    mut sinks: Sinks,
    (runtime, mut shutdown): (tokio::runtime::Runtime, Shutdown),
    out: &mut impl Write,
) -> io::Result<Option<i32>> {
    let mut summary = Summary::new(scenario);
    let mut reported = None;
    let mut ended_by = None;
    let mut dumped = false;
    let result = runtime.block_on(async {
        let start = Instant::now();
        let mut due = start + cli.tick;
        for tick in 1u32.. {
            // Always take one sample, even when the duration is shorter than a tick.
            if tick > 1 && cli.duration.is_some_and(|d| due > start + d) {
                break;
            }
            tokio::select! {
                _ = sleep_until(due) => {}
                signal = shutdown.recv() => {
                    ended_by = Some(signal);
                    break;
                }
            }
            due = next_tick(due, Instant::now(), cli.tick);
            let problem = source.problem();
            if problem != reported {
                if let Some(problem) = &problem {
                    eprintln!("looptop: {problem}");
                }
                reported = problem;
            }
            for snapshot in source.sample() {
                for message in sinks.tick(&snapshot) {
                    eprintln!("looptop: {message}");
                }
                if let Some(at) = cli.dump_at.filter(|&at| !dumped && start.elapsed() >= at) {
                    dumped = true;
                    let dump = dump_now(&*source, &snapshot).await;
                    print_dump(out, cli.format, at, &dump)?;
                }
                if cli.format == Format::Json {
                    serde_json::to_writer(&mut *out, &snapshot)?;
                    out.write_all(b"\n")?;
                    out.flush()?;
                }
                summary.add(&snapshot);
            }
        }
        Ok::<(), io::Error>(())
    });
    match result {
        // A reader that went away (`| head`) is not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ended_by),
        other => other?,
    }
    if cli.format == Format::Text {
        out.write_all(summary.render().as_bytes())?;
    }
    Ok(ended_by)
}

/// A dump of the source's tasks now, with the polls holding workers in
/// `latest` (a dump cannot show a task while it runs).
async fn dump_now(source: &dyn Source, latest: &Snapshot) -> Result<TaskDump, DumpError> {
    let Some(dump) = source.task_dump() else {
        return Err(DumpError::Unsupported);
    };
    crate::taskdump::with_held(dump.await, &latest.stalls().running)
}

/// The dump as one JSON line (`{"task_dump": …}`) or as text.
fn print_dump(
    out: &mut impl Write,
    format: Format,
    at: Duration,
    dump: &Result<TaskDump, DumpError>,
) -> io::Result<()> {
    match format {
        Format::Json => {
            let value = match dump {
                Ok(dump) => serde_json::to_value(dump),
                Err(error) => serde_json::to_value(error),
            }
            .map_err(io::Error::other)?;
            serde_json::to_writer(&mut *out, &serde_json::json!({ "task_dump": value }))?;
            out.write_all(b"\n")?;
        }
        Format::Text => {
            writeln!(
                out,
                "task dump at {}:",
                crate::format::micros(at.as_micros() as f64)
            )?;
            match dump {
                Ok(dump) => out.write_all(crate::taskdump::render(dump).as_bytes())?,
                Err(error) => writeln!(out, "  {error}")?,
            }
        }
    }
    out.flush()
}

/// When the tick after the one due at `due` is, read at `now`: on the grid
/// of whole ticks from the start, unless the sampler is so late (a starved
/// machine) that it would come within half a tick; then a whole tick from
/// now. A late tick is merged into the next, never followed by a burst of
/// tiny ones whose rates would be noise.
fn next_tick(due: Instant, now: Instant, tick: Duration) -> Instant {
    let next = due + tick;
    if next < now + tick / 2 {
        now + tick
    } else {
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TICK: Duration = Duration::from_millis(250);

    #[test]
    fn ticks_keep_their_grid_when_on_time() {
        let start = Instant::now();
        let due = start + TICK;
        let next = next_tick(due, due + Duration::from_millis(3), TICK);
        assert_eq!(next, start + 2 * TICK);
    }

    #[test]
    fn a_late_tick_is_never_followed_by_a_burst() {
        let start = Instant::now();
        let mut due = start + TICK;
        // The sampler wakes 2.1 s late, then keeps up again.
        let mut now = due + Duration::from_millis(2_100);
        let mut fired = vec![now];
        for _ in 0..4 {
            due = next_tick(due, now, TICK);
            // A tick already due fires at once.
            now = now.max(due);
            fired.push(now);
        }
        for pair in fired.windows(2) {
            assert!(pair[1] - pair[0] >= TICK / 2, "{:?}", pair[1] - pair[0]);
        }
    }
}
