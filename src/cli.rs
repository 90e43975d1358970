//! Command-line flags, their ranges, and one-line errors for bad values.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand, ValueEnum};

use crate::settings::{Group, Settings, STALL_THRESHOLD};
pub use crate::settings::{MAX_WORKERS, TICK_RANGE};
use crate::workload::requests::Target;
use crate::workload::{KnobSpec, QueueKnob, Unit};

pub const CONSOLE_DEFAULT_ADDR: &str = "127.0.0.1:6669";
pub const SERVE_DEFAULT_ADDR: &str = "127.0.0.1:6670";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per tick.
    Json,
    /// A readable summary at the end.
    Text,
}

/// A live dashboard of a tokio runtime running the asyncio tutorial's
/// ideas as workloads. Keys change the workload while it runs.
#[derive(Debug, Parser)]
#[command(name = "looptop", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// A built-in scenario by name (see `looptop scenarios`) or a scenario file's path
    #[arg(long, value_name = "NAME|PATH", default_value = crate::scenario::DEFAULT)]
    pub scenario: String,

    /// Worker threads of the observed runtime [default: number of cores]
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = whole_number(1, MAX_WORKERS))]
    pub workers: Option<u64>,

    /// Sampling interval, 50ms to 5s
    #[arg(global = true, long, value_name = "DURATION", default_value = "250ms", allow_hyphen_values = true, value_parser = duration_between(TICK_RANGE.0, TICK_RANGE.1))]
    pub tick: Duration,

    /// Print samples instead of drawing the dashboard
    #[arg(global = true, long)]
    pub headless: bool,

    /// Stop after this long (for example 10s or 2m) [default: run until quit]
    #[arg(global = true, long, value_name = "DURATION", value_parser = duration_between(Duration::from_millis(1), Duration::from_secs(7 * 24 * 3600)))]
    pub duration: Option<Duration>,

    /// Headless output
    #[arg(global = true, long, value_enum, default_value = "json")]
    pub format: Format,

    /// Headless: take one task dump this long after the start and print it (where every task waits; Linux x86, x86_64, aarch64, s390x)
    #[arg(long, value_name = "DURATION", requires = "headless", value_parser = duration_between(Duration::ZERO, Duration::from_secs(7 * 24 * 3600)))]
    pub dump_at: Option<Duration>,

    /// Producer tasks, 0 to 1024 [default: 4]
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = count_in(QueueKnob::Producers))]
    pub producers: Option<u64>,

    /// Consumer tasks, 0 to 1024 [default: 4]
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = count_in(QueueKnob::Consumers))]
    pub consumers: Option<u64>,

    /// Queue capacity, 1 to 1000000 [default: 64]
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = count_in(QueueKnob::Capacity))]
    pub capacity: Option<u64>,

    /// Mean gap between one producer's items (exponential), 0 to 10s; 0 = as fast as possible [default: 10ms]
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = knob_duration(QueueKnob::ProduceInterval.spec()))]
    pub produce_interval: Option<Duration>,

    /// Mean async wait per item in a consumer (±50%), 0 to 10s [default: 8ms]
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = knob_duration(QueueKnob::IoWait.spec()))]
    pub io_wait: Option<Duration>,

    /// CPU work per item in a consumer, 0 to 1s [default: 200us]
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = knob_duration(QueueKnob::CpuWork.spec()))]
    pub cpu_work: Option<Duration>,

    /// Share of consumers whose I/O wait is a blocking std::thread::sleep, 0 to 100 (percent) [default: 0]
    #[arg(long, value_name = "PERCENT", allow_hyphen_values = true, value_parser = count_in(QueueKnob::Blocking))]
    pub blocking: Option<u64>,

    /// Where the blocking consumers' work runs: no (in the task), spawn_blocking, pool (a pool of the workload's own) or yield (1 ms slices with yield_now between) [default: no]
    #[arg(long, value_name = "MODE", value_parser = choice_of(QueueKnob::Offload.spec()))]
    pub offload: Option<u64>,

    /// A poll at least this long is a stall: listed with its task and spawn location, 100us to 10s [default: 10ms]
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = knob_duration(STALL_THRESHOLD.spec()))]
    pub stall_threshold: Option<Duration>,

    /// Send the requests scenario's requests to this URL instead of the embedded site, e.g. http://127.0.0.1:8080/index.html: the closed and open loops ask for it, the crawl starts there
    #[arg(long, value_name = "URL", value_parser = Target::parse)]
    pub target: Option<Target>,

    /// Accept any certificate from an https:// --target, a self-signed one say (the header says so, in red)
    #[arg(long)]
    pub insecure: bool,

    /// Serve tokio-console's endpoint, on 127.0.0.1:6669 or ADDR; attach with
    /// `tokio-console http://ADDR`. Costs CPU: every poll, wake and timer is traced
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = CONSOLE_DEFAULT_ADDR, value_parser = socket_addr)]
    pub console: Option<SocketAddr>,

    /// How long tokio-console keeps finished tasks, 1s to 1h
    #[arg(long, value_name = "DURATION", default_value = "60s", requires = "console", value_parser = duration_between(Duration::from_secs(1), Duration::from_secs(3600)))]
    pub console_retention: Duration,

    /// Write looptop's log to FILE (filter with LOOPTOP_LOG, e.g. looptop=debug) [default: no log]
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,

    /// Serve this run's figures, read-only, on ADDR (127.0.0.1:6670 alone): `looptop attach ADDR` from another terminal, and GET /metrics for Prometheus
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = SERVE_DEFAULT_ADDR, value_parser = socket_addr)]
    pub serve: Option<SocketAddr>,

    /// Record every tick and knob change to FILE as it happens, to replay with `looptop replay FILE`
    #[arg(global = true, long, value_name = "FILE")]
    pub record: Option<PathBuf>,

    /// The most a recording may hold (for example 100MB or 2GiB); recording stops there, with a message
    #[arg(global = true, long, value_name = "SIZE", default_value = "512MB", value_parser = byte_size)]
    pub record_limit: u64,

    /// Keep the last minute in memory and, when a warning begins, write the minute before and the minute after to a file in DIR
    #[arg(global = true, long, value_name = "DIR")]
    pub record_on_warning: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the built-in scenarios, one line each
    Scenarios,
    /// Open the dashboard on a recording (made with --record): play, pause, rewind, speed; --headless prints its ticks
    Replay {
        /// The recording
        file: PathBuf,
        /// Playback speed, 0.25 to 8 (< and > change it while it plays)
        #[arg(long, default_value = "1", value_parser = speed)]
        speed: f64,
    },
    /// Open the dashboard on another looptop's endpoint (its --serve ADDR), read-only; --headless prints its ticks
    Attach {
        /// Where it serves, e.g. 127.0.0.1:6670
        #[arg(value_parser = socket_addr)]
        addr: SocketAddr,
    },
}

/// Replay speeds, slowest to fastest: what < and > step through.
pub const SPEEDS: [f64; 6] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0];

fn speed(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .trim_end_matches('x')
        .parse()
        .map_err(|_| "must be a speed from 0.25 to 8, such as 2".to_string())?;
    if (SPEEDS[0]..=SPEEDS[SPEEDS.len() - 1]).contains(&value) {
        Ok(value)
    } else {
        Err("must be a speed from 0.25 to 8, such as 2".to_string())
    }
}

/// A size in bytes: a number with B, KB, MB, GB (powers of 1000) or KiB,
/// MiB, GiB (of 1024).
fn byte_size(text: &str) -> Result<u64, String> {
    let expected = || "must be a size such as 500KB, 100MB or 2GiB".to_string();
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().map_err(|_| expected())?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(expected()),
    };
    let bytes = number * scale;
    if bytes < 1024.0 || !bytes.is_finite() {
        return Err("must be at least 1KiB, such as 100MB".to_string());
    }
    Ok(bytes as u64)
}

/// What `parse` decided: run, or exit now with this text and code.
pub enum Parsed {
    Run(Box<Cli>),
    Exit { message: String, code: u8 },
}

impl Cli {
    /// Parses `args`; a bad flag becomes one line naming it and what is
    /// allowed, with exit code 2.
    pub fn parse_args<I, T>(args: I) -> Parsed
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        match Cli::try_parse_from(args) {
            Ok(cli) => Parsed::Run(Box::new(cli)),
            Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
                Parsed::Exit {
                    message: e.render().to_string(),
                    code: 0,
                }
            }
            Err(e) => Parsed::Exit {
                message: format!(
                    "looptop: {} (see looptop --help)",
                    one_line(&e.render().to_string())
                ),
                code: 2,
            },
        }
    }

    /// `--target`, with `--insecure` if given.
    pub fn target(&self) -> Option<Target> {
        let mut target = self.target.clone()?;
        target.insecure = self.insecure;
        Some(target)
    }

    pub fn workers(&self) -> usize {
        self.workers.map_or_else(
            || std::thread::available_parallelism().map_or(2, |n| n.get()),
            |n| n as usize,
        )
    }

    /// `base` (a scenario's settings) with the knob flags applied; a flag
    /// for a workload the scenario does not run is an error.
    pub fn settings(&self, base: Settings) -> Result<Settings, String> {
        let mut settings = base;
        let micros = |d: &Duration| d.as_micros() as u64;
        let given = [
            ("--producers", QueueKnob::Producers.into(), self.producers),
            ("--consumers", QueueKnob::Consumers.into(), self.consumers),
            ("--capacity", QueueKnob::Capacity.into(), self.capacity),
            (
                "--produce-interval",
                QueueKnob::ProduceInterval.into(),
                self.produce_interval.as_ref().map(micros),
            ),
            (
                "--io-wait",
                QueueKnob::IoWait.into(),
                self.io_wait.as_ref().map(micros),
            ),
            (
                "--cpu-work",
                QueueKnob::CpuWork.into(),
                self.cpu_work.as_ref().map(micros),
            ),
            ("--blocking", QueueKnob::Blocking.into(), self.blocking),
            ("--offload", QueueKnob::Offload.into(), self.offload),
            (
                "--stall-threshold",
                STALL_THRESHOLD,
                self.stall_threshold.as_ref().map(micros),
            ),
        ];
        if self.target.is_some() && !settings.has(Group::Requests) {
            return Err(
                "--target aims the requests workload, which this scenario does not run".to_string(),
            );
        }
        if self.insecure && !self.target.as_ref().is_some_and(Target::is_https) {
            return Err(
                "--insecure accepts the certificate of an https:// --target; there is none to accept"
                    .to_string(),
            );
        }
        for (flag, knob, value) in given {
            if let Some(value) = value {
                if !settings.set(knob, value) {
                    return Err(format!(
                        "{flag} sets the {} workload, which this scenario does not run",
                        knob.group.name()
                    ));
                }
            }
        }
        Ok(settings)
    }
}

fn socket_addr(text: &str) -> Result<SocketAddr, String> {
    text.trim()
        .parse()
        .map_err(|_| "must be an IP address and port, such as 127.0.0.1:6669".to_string())
}

/// clap's error as one line: its first paragraph, which holds what is
/// wrong and, on indented lines, what is missing or allowed (`[possible
/// values: json, text]`); the usage and the hint after it are left out.
fn one_line(rendered: &str) -> String {
    let paragraph: Vec<&str> = rendered
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .map(str::trim)
        .collect();
    let line = paragraph.join(" ");
    let line = line.strip_prefix("error: ").unwrap_or(&line);
    if line.is_empty() {
        "invalid arguments".to_string()
    } else {
        line.to_string()
    }
}

/// A whole number from `min` to `max`, spaces around it allowed, as the
/// knobs' counts take it.
fn whole_number(
    min: u64,
    max: u64,
) -> impl Fn(&str) -> Result<u64, String> + Clone + Send + Sync + 'static {
    move |text| {
        let accepts = || format!("must be a whole number from {min} to {max}");
        let value: u64 = text.trim().parse().map_err(|_| accepts())?;
        if (min..=max).contains(&value) {
            Ok(value)
        } else {
            Err(accepts())
        }
    }
}

fn count_in(
    knob: QueueKnob,
) -> impl Fn(&str) -> Result<u64, String> + Clone + Send + Sync + 'static {
    let spec = knob.spec();
    move |text| {
        let value: u64 = text
            .trim()
            .parse()
            .map_err(|_| format!("must be {}", spec.accepts()))?;
        if spec.range.contains(&value) {
            Ok(value)
        } else {
            Err(format!("must be {}", spec.accepts()))
        }
    }
}

fn choice_of(
    spec: &'static KnobSpec,
) -> impl Fn(&str) -> Result<u64, String> + Clone + Send + Sync + 'static {
    move |text| match spec.unit {
        Unit::Choice(names) => names
            .iter()
            .position(|n| *n == text.trim())
            .map(|i| i as u64)
            .ok_or_else(|| format!("must be {}", spec.accepts())),
        _ => Err(format!("must be {}", spec.accepts())),
    }
}

fn knob_duration(
    spec: &'static KnobSpec,
) -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync + 'static {
    duration_between(
        Duration::from_micros(*spec.range.start()),
        Duration::from_micros(*spec.range.end()),
    )
}

/// Parses "250ms", "1.5s", "200us", "0"; checks the range.
pub fn duration_between(
    min: Duration,
    max: Duration,
) -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync + 'static {
    move |text| {
        let expected = || {
            format!(
                "must be a duration from {} to {}, such as 250ms or 2s",
                humantime::format_duration(min),
                humantime::format_duration(max)
            )
        };
        let text = text.trim();
        let value = if text == "0" {
            Duration::ZERO
        } else {
            humantime::parse_duration(text).map_err(|_| expected())?
        };
        if value < min || value > max {
            return Err(expected());
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::queue::knobs::Offload;
    use crate::workload::QueueSettings;

    fn parse(args: &[&str]) -> Result<Cli, (String, u8)> {
        match Cli::parse_args(std::iter::once("looptop").chain(args.iter().copied())) {
            Parsed::Run(cli) => Ok(*cli),
            Parsed::Exit { message, code } => Err((message, code)),
        }
    }

    #[test]
    fn flags_override_the_default_settings() {
        let cli = parse(&[
            "--producers",
            "8",
            "--io-wait",
            "2ms",
            "--cpu-work",
            "0",
            "--tick",
            "100ms",
        ])
        .unwrap();
        let queue = || Settings::for_queue(QueueSettings::default());
        let s = cli.settings(queue()).unwrap().queue().unwrap();
        assert_eq!((s.producers, s.io_wait_us, s.cpu_work_us), (8, 2_000, 0));
        assert_eq!(s.consumers, QueueSettings::default().consumers);
        assert_eq!((s.blocking_pct, s.offload), (0, Offload::No));
        let offloaded = parse(&[
            "--blocking",
            "50",
            "--offload",
            "pool",
            "--stall-threshold",
            "2ms",
        ])
        .unwrap();
        let s = offloaded.settings(queue()).unwrap();
        let q = s.queue().unwrap();
        assert_eq!((q.blocking_pct, q.offload), (50, Offload::Pool));
        assert_eq!(s.get(STALL_THRESHOLD), Some(2_000));
        let refused = offloaded.settings(Settings::defaults(&[])).unwrap_err();
        assert_eq!(
            refused,
            "--blocking sets the queue workload, which this scenario does not run"
        );
        assert_eq!(cli.tick, Duration::from_millis(100));
        assert!(cli.workers() >= 1);
    }

    #[test]
    fn bad_values_give_one_line_naming_flag_and_range() {
        for (args, flag, range) in [
            (&["--workers", "0"][..], "--workers", "from 1 to 512"),
            (&["--workers", "x"][..], "--workers", "from 1 to 512"),
            (&["--format", "xml"][..], "--format", "json, text"),
            (&["--producers", "2000"][..], "--producers", "0 to 1024"),
            (&["--capacity", "0"][..], "--capacity", "1 to 1000000"),
            (&["--tick", "10ms"][..], "--tick", "50ms to 5s"),
            (&["--io-wait", "soon"][..], "--io-wait", "0s to 10s"),
            (&["--blocking", "150"][..], "--blocking", "0 to 100"),
            (
                &["--offload", "later"][..],
                "--offload",
                "\"spawn_blocking\"",
            ),
            (
                &["--stall-threshold", "10us"][..],
                "--stall-threshold",
                "100us to 10s",
            ),
        ] {
            let (message, code) = parse(args).expect_err("must be rejected");
            assert_eq!(code, 2);
            assert_eq!(message.lines().count(), 1, "{message}");
            assert!(
                message.contains(flag) && message.contains(range),
                "{message}"
            );
        }
    }

    #[test]
    fn console_takes_an_optional_address() {
        assert_eq!(parse(&[]).unwrap().console, None);
        let default: SocketAddr = CONSOLE_DEFAULT_ADDR.parse().unwrap();
        assert_eq!(parse(&["--console"]).unwrap().console, Some(default));
        let chosen = parse(&["--console", "127.0.0.1:7000"]).unwrap().console;
        assert_eq!(chosen, Some("127.0.0.1:7000".parse().unwrap()));
        assert_eq!(
            parse(&["--console", "--headless"]).unwrap().console,
            Some(default)
        );
        let (message, code) = parse(&["--console", "localhost"]).expect_err("not an address");
        assert_eq!(code, 2);
        assert!(
            message.contains("--console") && message.contains("127.0.0.1:6669"),
            "{message}"
        );
        assert_eq!(
            parse(&[]).unwrap().console_retention,
            Duration::from_secs(60)
        );
        let (message, code) =
            parse(&["--console-retention", "5s"]).expect_err("retention of no console");
        assert_eq!(code, 2);
        assert!(message.contains("--console"), "{message}");
        assert!(parse(&["--console", "--console-retention", "5s"]).is_ok());
    }

    #[test]
    fn counts_take_spaces_around_them_alike() {
        assert_eq!(parse(&["--workers", " 3"]).unwrap().workers, Some(3));
        assert_eq!(parse(&["--producers", " 3"]).unwrap().producers, Some(3));
    }

    #[test]
    fn target_takes_an_http_or_https_url_with_its_path() {
        let target = |args: &[&str]| parse(args).map(|cli| cli.target());
        let given = target(&["--target", "http://127.0.0.1:8080/a/b.html?q=1"]);
        assert_eq!(
            given.unwrap().unwrap().to_string(),
            "http://127.0.0.1:8080/a/b.html?q=1"
        );
        let https = target(&["--target", "https://example.com", "--insecure"]);
        let https = https.unwrap().unwrap();
        assert!(https.is_https() && https.insecure, "{https:?}");
        for bad in [
            "127.0.0.1:8080",
            "ftp://example.com",
            "http://",
            "not a url",
        ] {
            let target = |t: &str| target(&["--target", t]);
            let (message, code) = target(bad).expect_err(bad);
            assert_eq!(code, 2);
            assert!(
                message.contains("--target") && message.contains("http://127.0.0.1:8080"),
                "{message}"
            );
        }
    }

    #[test]
    fn sizes_take_decimal_and_binary_units() {
        let limit = |size: &str| parse(&["--record-limit", size]).map(|cli| cli.record_limit);
        assert_eq!(limit("100MB").ok(), Some(100_000_000));
        assert_eq!(limit("2GiB").ok(), Some(2 << 30));
        assert_eq!(limit("1.5kb").ok(), Some(1_500));
        for bad in ["", "ten", "5 parsecs", "100"] {
            let (message, code) = limit(bad).expect_err(bad);
            assert_eq!(code, 2);
            assert!(message.contains("--record-limit"), "{message}");
        }
    }

    #[test]
    fn insecure_needs_an_https_target() {
        let settings = |args: &[&str]| {
            let cli = parse(args).unwrap();
            cli.settings(Settings::defaults(&[Group::Requests]))
        };
        for args in [
            &["--insecure"][..],
            &["--insecure", "--target", "http://127.0.0.1:8080/"],
        ] {
            let message = settings(args).expect_err("nothing to accept");
            assert!(
                message.contains("--insecure") && message.contains("https://"),
                "{message}"
            );
        }
        assert!(settings(&["--insecure", "--target", "https://127.0.0.1:8443/"]).is_ok());
    }

    #[test]
    fn unknown_flags_are_rejected_in_one_line() {
        let (message, code) = parse(&["--frobnicate"]).expect_err("unknown flag");
        assert_eq!(code, 2);
        assert!(message.contains("--frobnicate"), "{message}");
        assert_eq!(message.lines().count(), 1);
    }

    #[test]
    fn help_exits_zero_and_states_the_real_defaults() {
        let (message, code) = parse(&["--help"]).expect_err("help exits");
        assert_eq!(code, 0);
        let d = QueueSettings::default();
        for expected in [
            format!("[default: {}]", d.producers),
            format!("[default: {}]", d.capacity),
            format!("[default: {}ms]", d.produce_interval_us as f64 / 1000.0),
            format!("[default: {}ms]", d.io_wait_us as f64 / 1000.0),
            format!("[default: {}us]", d.cpu_work_us),
            format!("[default: {}ms]", STALL_THRESHOLD.spec().default / 1000),
        ] {
            assert!(message.contains(&expected), "help lacks {expected}");
        }
    }
}
