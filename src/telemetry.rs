//! tracing for looptop itself: the tokio-console layer and a log file, each
//! with its own filter on one registry. Nothing is ever written to the
//! terminal the dashboard draws on.

use std::fs::File;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

pub struct Options {
    pub console: Option<SocketAddr>,
    pub console_retention: Duration,
    pub log: Option<PathBuf>,
}

/// Installs the layers asked for (the log, the console), or nothing at
/// all; returns the address the console serves on, if it does. An `Err` is
/// a one-line message for the user.
pub fn install(options: &Options) -> Result<Option<SocketAddr>, String> {
    let log = match &options.log {
        Some(path) => {
            let file = File::create(path)
                .map_err(|e| format!("cannot write the log file {}: {e}", path.display()))?;
            // A log on a terminal would write over the dashboard.
            if file.is_terminal() {
                return Err(format!(
                    "the log file {} is a terminal, where the log would write over the dashboard; give a file",
                    path.display()
                ));
            }
            // LOOPTOP_LOG takes tracing's filter syntax, e.g. `looptop=debug`.
            let filter = EnvFilter::try_from_env("LOOPTOP_LOG")
                .unwrap_or_else(|_| EnvFilter::new("looptop=info"));
            let layer = tracing_subscriber::fmt::layer()
                .with_writer(Mutex::new(file))
                .with_ansi(false)
                .with_filter(filter);
            Some(layer)
        }
        None => None,
    };
    let (console, served_on) = match options.console {
        Some(addr) => {
            let (layer, bound) = console_layer(addr, options.console_retention)?;
            (Some(layer), Some(bound))
        }
        None => (None, None),
    };
    if log.is_none() && console.is_none() {
        return Ok(None);
    }
    tracing_subscriber::registry()
        .with(console)
        .with(log)
        .try_init()
        .map_err(|e| format!("cannot install tracing: {e}"))?;
    Ok(served_on)
}

#[cfg(feature = "console")]
fn console_layer<S>(
    addr: SocketAddr,
    retention: Duration,
) -> Result<(impl Layer<S>, SocketAddr), String>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    crate::console::layer(addr, retention)
}

#[cfg(not(feature = "console"))]
fn console_layer(
    _: SocketAddr,
    _: Duration,
) -> Result<(tracing_subscriber::layer::Identity, SocketAddr), String> {
    Err("this looptop was built without tokio-console support; rebuild with the default features (cargo run --release) to use --console".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(not(feature = "console"))]
    #[test]
    fn console_without_the_feature_says_how_to_get_it() {
        let options = Options {
            console: Some("127.0.0.1:6669".parse().unwrap()),
            console_retention: Duration::from_secs(60),
            log: None,
        };
        let message = install(&options).expect_err("no console in this build");
        assert!(
            message.contains("--console") && message.contains("default features"),
            "{message}"
        );
    }

    #[test]
    fn nothing_asked_installs_nothing() {
        let options = Options {
            console: None,
            console_retention: Duration::from_secs(60),
            log: None,
        };
        assert_eq!(install(&options), Ok(None));
        // Had it installed a global subscriber, this would fail.
        assert!(tracing_subscriber::registry().try_init().is_ok());
    }
}
