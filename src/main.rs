use std::io::{self, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use looptop::app::{App, Choice, RunInfo};
use looptop::attach::Attached;
use looptop::cli::{Cli, Command, Parsed};
use looptop::recording::Recording;
use looptop::scenario::{self, Scenario};
use looptop::telemetry;
use looptop::tui::Ending;
use looptop::{headless, tui};

fn main() -> ExitCode {
    let mut cli = match Cli::parse_args(std::env::args_os()) {
        Parsed::Run(cli) => cli,
        Parsed::Exit { message, code } => {
            if code == 0 {
                print!("{message}");
            } else {
                eprintln!("{message}");
            }
            return ExitCode::from(code);
        }
    };
    let Ok(built_in) = scenario::built_in() else {
        unreachable!("the built-in scenarios are checked by the tests");
    };
    match &cli.command {
        Some(Command::Scenarios) => {
            print!("{}", list(&built_in));
            return ExitCode::SUCCESS;
        }
        Some(Command::Replay { file, speed }) => return replay(file, *speed, cli.headless),
        Some(Command::Attach { addr }) => return attach(&cli, *addr),
        None => {}
    }
    let chosen = match scenario::load(&cli.scenario) {
        Ok(chosen) => chosen,
        Err(e) => {
            eprintln!("looptop: {e}");
            return ExitCode::from(2);
        }
    };
    let settings = match cli.settings(chosen.settings.clone()) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("looptop: {message}");
            return ExitCode::from(2);
        }
    };
    // The picker offers the built-ins, and the file this run started from.
    let mut choices: Vec<Choice> = built_in.iter().map(|s| Choice::new(&s.name, s)).collect();
    if !choices.iter().any(|c| c.source == cli.scenario) {
        choices.push(Choice::new(&cli.scenario, &chosen));
    }
    if !cli.headless {
        if let Err(message) = can_draw() {
            eprintln!("looptop: {message}");
            return ExitCode::from(2);
        }
    }
    // Before the terminal is touched, so an address in use or an unwritable
    // log file is one plain line.
    let telemetry = telemetry::Options {
        console: cli.console,
        console_retention: cli.console_retention,
        log: cli.log.clone(),
    };
    match telemetry::install(&telemetry) {
        // The header shows where the console really is (port 0 picks one).
        Ok(served_on) => cli.console = served_on.or(cli.console),
        Err(message) => {
            eprintln!("looptop: {message}");
            return ExitCode::from(2);
        }
    }
    tracing::info!(?cli, "starting");
    let result = if cli.headless {
        headless::run(&cli, &chosen.name, &settings, &mut io::stdout().lock())
            .map(|ended_by| ended_by.map_or(ExitCode::SUCCESS, |n| ExitCode::from(128 + n as u8)))
    } else {
        tui::run(&cli, &chosen, &settings, choices).map(|ending| match ending {
            Ending::Quit | Ending::DurationElapsed => ExitCode::SUCCESS,
            Ending::Signal(n) => ExitCode::from(128 + n as u8),
        })
    };
    result.unwrap_or_else(|e| {
        tracing::error!("{e}");
        eprintln!("looptop: {e}");
        ExitCode::FAILURE
    })
}

/// Whether this terminal can show the dashboard; if not, what to do.
fn can_draw() -> Result<(), &'static str> {
    // A terminal that says it cannot move the cursor cannot show a dashboard.
    if std::env::var("TERM").is_ok_and(|term| term == "dumb") {
        return Err(
            "TERM=dumb cannot draw the dashboard; run it in a full terminal, or pass --headless",
        );
    }
    if !io::stdout().is_terminal() {
        return Err(
            "stdout is not a terminal; run it in a terminal, or pass --headless for JSON lines",
        );
    }
    Ok(())
}

/// `looptop replay FILE`: the dashboard on a recording, or its ticks as
/// JSON lines with `--headless`.
fn replay(file: &Path, speed: f64, headless: bool) -> ExitCode {
    let recording = match Recording::load(file) {
        Ok(recording) => recording,
        Err(message) => {
            eprintln!("looptop: {message}");
            return ExitCode::from(2);
        }
    };
    if headless {
        let mut out = io::stdout().lock();
        for tick in &recording.ticks {
            let written = serde_json::to_writer(&mut out, tick)
                .map_err(io::Error::from)
                .and_then(|()| out.write_all(b"\n"));
            match written {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => break,
                Err(e) => {
                    eprintln!("looptop: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        return ExitCode::SUCCESS;
    }
    if let Err(message) = can_draw() {
        eprintln!("looptop: {message}");
        return ExitCode::from(2);
    }
    let header = &recording.header;
    // The explanation of a built-in scenario; a file's may be gone.
    let explain = scenario::load(&header.scenario)
        .map(|s| s.explain)
        .unwrap_or_default();
    let info = RunInfo::new(
        &header.scenario,
        header.workers,
        Duration::from_secs_f64(header.tick_s),
    );
    match tui::replay(App::replay(info, recording, speed, explain)) {
        Ok(Ending::Signal(n)) => ExitCode::from(128 + n as u8),
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("looptop: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `looptop attach ADDR`: the dashboard (or, headless, the ticks) of
/// another looptop's endpoint. Nothing there yet is no error: it says so,
/// and tries again.
fn attach(cli: &Cli, addr: SocketAddr) -> ExitCode {
    if !cli.headless {
        if let Err(message) = can_draw() {
            eprintln!("looptop: {message}");
            return ExitCode::from(2);
        }
    }
    let attached = match Attached::connect(addr) {
        Ok(attached) => attached,
        Err(e) => {
            eprintln!("looptop: {e}");
            return ExitCode::FAILURE;
        }
    };
    let ended = if cli.headless {
        headless::attach(cli, attached, &mut io::stdout().lock())
            .map(|signal| signal.map_or(Ending::Quit, Ending::Signal))
    } else {
        tui::attach(cli, attached)
    };
    match ended {
        Ok(Ending::Signal(n)) => ExitCode::from(128 + n as u8),
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("looptop: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `looptop scenarios`: a name and a summary a line.
fn list(scenarios: &[Scenario]) -> String {
    let width = scenarios.iter().map(|s| s.name.len()).max().unwrap_or(0);
    scenarios
        .iter()
        .map(|s| format!("{:<width$}  {}\n", s.name, s.summary))
        .collect()
}
