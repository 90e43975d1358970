//! looptop: a terminal dashboard of a live tokio runtime.
//!
//! Workloads run on the *observed* runtime (`runtime`, `workload`); the
//! sampler turns its metrics into snapshots (`sampler`); the dashboard keeps
//! state (`app`) and draws it (`ui`) from another thread (`tui`), or prints it
//! (`headless`).

#[cfg(feature = "ui")]
pub mod app;
pub mod attach;
#[cfg(feature = "ui")]
pub mod cli;
#[cfg(feature = "console")]
pub mod console;
pub mod cpu_time;
pub mod diagnosis;
pub mod endpoint;
pub mod format;
#[cfg(feature = "ui")]
pub mod headless;
pub mod limits;
pub mod observed;
pub mod priority;
pub mod recording;
pub mod runtime;
pub mod sampler;
pub mod scenario;
pub mod settings;
pub mod signals;
pub mod source;
pub mod stall;
pub mod taskdump;
pub mod telemetry;
#[cfg(feature = "ui")]
pub mod tui;
#[cfg(feature = "ui")]
pub mod ui;
pub mod watch;
pub mod workload;
