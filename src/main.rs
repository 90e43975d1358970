use std::io::{self, IsTerminal};
use std::process::ExitCode;

use looptop::cli::{Cli, Parsed};
use looptop::telemetry;
use looptop::tui::Ending;
use looptop::{headless, tui};

fn main() -> ExitCode {
    let cli = match Cli::parse_args(std::env::args_os()) {
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
    if !cli.headless && !io::stdout().is_terminal() {
        eprintln!("looptop: stdout is not a terminal; run it in a terminal, or pass --headless for JSON lines");
        return ExitCode::from(2);
    }
    // Before the terminal is touched, so an address in use or an unwritable
    // log file is one plain line.
    let telemetry = telemetry::Options {
        console: cli.console,
        console_retention: cli.console_retention,
        log: cli.log.clone(),
    };
    if let Err(message) = telemetry::install(&telemetry) {
        eprintln!("looptop: {message}");
        return ExitCode::from(2);
    }
    tracing::info!(?cli, "starting");
    let result = if cli.headless {
        headless::run(&cli, &mut io::stdout().lock()).map(|()| ExitCode::SUCCESS)
    } else {
        tui::run(&cli).map(|ending| match ending {
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
