//! Headless mode: the same workload and sampler, no terminal UI. Prints one
//! JSON object per tick, or a readable summary at the end.

mod summary;

use std::io::{self, Write};

use tokio::time::{sleep_until, Instant};

use crate::cli::{Cli, Format};
use crate::observed::Observed;
use crate::settings::Settings;
use crate::signals::Shutdown;
pub use summary::Summary;

pub fn run(cli: &Cli, scenario: &str, settings: &Settings, out: &mut impl Write) -> io::Result<()> {
    // The sampler's own runtime and signal handlers first: a workload may
    // use up the process's file descriptors, and these need some.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut shutdown = runtime.block_on(async { Shutdown::listen() })?;
    let mut observed = Observed::start_with_target(cli.workers(), settings, cli.target.clone())?;
    let mut summary = Summary::new(scenario);
    let result = runtime.block_on(async {
        let start = Instant::now();
        for tick in 1u32.. {
            let due = start + cli.tick * tick;
            // Always take one sample, even when the duration is shorter than a tick.
            if tick > 1 && cli.duration.is_some_and(|d| due > start + d) {
                break;
            }
            tokio::select! {
                _ = sleep_until(due) => {}
                _ = shutdown.recv() => break,
            }
            let snapshot = observed.sample();
            if cli.format == Format::Json {
                serde_json::to_writer(&mut *out, &snapshot)?;
                out.write_all(b"\n")?;
                out.flush()?;
            }
            summary.add(&snapshot);
        }
        Ok::<(), io::Error>(())
    });
    drop(observed);
    match result {
        // A reader that went away (`| head`) is not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
        other => other?,
    }
    if cli.format == Format::Text {
        out.write_all(summary.render().as_bytes())?;
    }
    Ok(())
}
