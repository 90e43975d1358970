//! The interactive dashboard: one `select!` loop on its own current-thread
//! runtime (never the observed one) over ticks, frames, keys and signals.

use std::io;
use std::time::Duration;

use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use ratatui::DefaultTerminal;
use tokio::time::{interval, interval_at, Instant, MissedTickBehavior};

use crate::app::{keys, Action, App, Choice, Effect, RunInfo};
use crate::attach::Attached;
use crate::cli::Cli;
use crate::endpoint::Publisher;
use crate::observed::Observed;
use crate::priority;
use crate::recording::{Change, Header, Sinks};
use crate::scenario::Scenario;
use crate::settings::Settings;
use crate::signals::{Shutdown, SuspendRequests};
use crate::source::{DumpFuture, Source};
use crate::taskdump::DumpError;
use crate::ui;

/// At most this many frames a second; input and ticks only mark the screen
/// dirty, so an idle dashboard draws once per tick.
const FRAME: Duration = Duration::from_millis(33);

/// How the dashboard ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    Quit,
    Signal(i32),
    DurationElapsed,
}

/// The dashboard's runtime, signal handlers, terminal and input.
struct Session {
    runtime: tokio::runtime::Runtime,
    shutdown: Shutdown,
    suspends: SuspendRequests,
    terminal: TerminalGuard,
    events: EventStream,
}

impl Session {
    /// First of all: a workload may use up the process's file
    /// descriptors, and these need some.
    fn start() -> io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        // Above the workload's threads, and so is the input reader that
        // EventStream starts; the workload's threads, started later from
        // this one, are not.
        let raised = priority::raise_this_thread();
        let (shutdown, suspends, terminal, events) = runtime.block_on(async {
            let shutdown = Shutdown::listen()?;
            let suspends = SuspendRequests::listen()?;
            let terminal = TerminalGuard::enter()?;
            Ok::<_, io::Error>((shutdown, suspends, terminal, EventStream::new()))
        })?;
        priority::stop_passing_on();
        tracing::info!(?raised, "the dashboard's thread priority");
        Ok(Self {
            runtime,
            shutdown,
            suspends,
            terminal,
            events,
        })
    }

    /// Runs the dashboard until it ends.
    fn run(
        mut self,
        app: &mut App,
        source: Option<&mut dyn Source>,
        sinks: &mut Sinks,
        clock: (Duration, Option<Duration>),
    ) -> io::Result<Ending> {
        let signals = (self.shutdown, self.suspends, self.events);
        let terminal = &mut self.terminal.0;
        self.runtime
            .block_on(event_loop(terminal, app, source, sinks, signals, clock))
    }
}

/// What `--record`, `--record-on-warning` and `--serve` ask for; the
/// address really served on goes in `info`.
pub fn sinks(
    cli: &Cli,
    header: Header,
    settings: &Settings,
    serving: &mut Option<std::net::SocketAddr>,
) -> io::Result<Sinks> {
    let mut sinks = Sinks::open(
        cli.record.as_deref(),
        cli.record_on_warning.as_deref(),
        cli.record_limit,
        header.clone(),
        settings,
    )
    .map_err(io::Error::other)?;
    if let Some(addr) = cli.serve {
        let publisher =
            Publisher::serve(addr, header, settings.clone()).map_err(io::Error::other)?;
        *serving = Some(publisher.addr);
        sinks = sinks.serving(publisher);
    }
    Ok(sinks)
}

pub fn run(
    cli: &Cli,
    scenario: &Scenario,
    settings: &Settings,
    choices: Vec<Choice>,
) -> io::Result<Ending> {
    let session = Session::start()?;
    let observed = Observed::start_with_target(cli.workers(), settings, cli.target())?;
    let mut source: Box<dyn Source> = Box::new(observed);
    let header = Header::new(
        &scenario.name,
        source.workers(),
        cli.tick.as_secs_f64(),
        settings,
    );
    let mut info = RunInfo {
        console: cli.console,
        insecure: cli.insecure,
        ..RunInfo::new(&scenario.name, source.workers(), cli.tick)
    };
    let mut sinks = sinks(cli, header, settings, &mut info.serving)?;
    let app = match source.settings() {
        Some(settings) => App::new(info, settings, scenario.explain.clone()),
        None => App::new(info, Settings::defaults(&[]), scenario.explain.clone()).read_only(),
    };
    let mut app = app.with_scenarios(choices);
    session.run(
        &mut app,
        Some(source.as_mut()),
        &mut sinks,
        (cli.tick, cli.duration),
    )
}

/// The dashboard on another process's endpoint: its runtime panes,
/// read-only, and recorded as a live run is, if asked.
pub fn attach(cli: &Cli, mut attached: Attached) -> io::Result<Ending> {
    let mut sinks = attach_sinks(cli, &attached)?;
    let session = Session::start()?;
    let info = RunInfo {
        attached: Some(attached.addr()),
        ..RunInfo::new("attaching", 0, cli.tick)
    };
    let mut app = App::new(info, Settings::defaults(&[]), Default::default()).read_only();
    session.run(
        &mut app,
        Some(&mut attached),
        &mut sinks,
        (cli.tick, cli.duration),
    )
}

/// A recording of an attached run begins with its header: with `--record`
/// or `--record-on-warning`, the other run must answer first.
pub fn attach_sinks(cli: &Cli, attached: &Attached) -> io::Result<Sinks> {
    if cli.record.is_none() && cli.record_on_warning.is_none() {
        return Ok(Sinks::default());
    }
    let header = attached
        .first_answer(Duration::from_secs(5))
        .map_err(|why| io::Error::other(format!("cannot record: {why}")))?;
    let settings = crate::recording::settings_of(&header.knobs).map_err(io::Error::other)?;
    let mut none = None;
    sinks(cli, header, &settings, &mut none)
}

/// The dashboard on a recording: the same panes, played by moving the
/// cursor through it.
pub fn replay(mut app: App) -> io::Result<Ending> {
    let session = Session::start()?;
    let tick = playback_period(&app).unwrap_or(Duration::from_millis(250));
    session.run(&mut app, None, &mut Sinks::default(), (tick, None))
}

/// A replay's time between ticks: as recorded, at its speed.
fn playback_period(app: &App) -> Option<Duration> {
    let playback = app.playback.as_ref()?;
    let period = playback.recording.header.tick_s / playback.speed;
    Some(Duration::from_secs_f64(period.clamp(0.001, 60.0)))
}

/// The dashboard's loop: each tick a snapshot from `source` (recorded to
/// `sinks`), or with no source, a replay's next tick.
async fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    mut source: Option<&mut dyn Source>,
    sinks: &mut Sinks,
    (mut shutdown, mut suspends, mut events): (Shutdown, SuspendRequests, EventStream),
    (mut tick, duration): (Duration, Option<Duration>),
) -> io::Result<Ending> {
    let mut ticks = ticker(tick);
    let mut frames = interval(FRAME);
    frames.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let deadline = duration.map(|d| Instant::now() + d);
    let stop = async {
        match deadline {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(stop);
    let mut dirty = true;
    // A task dump being taken: awaited here, so keys and ticks go on.
    let mut dump: Option<DumpFuture> = None;
    loop {
        tokio::select! {
            result = async { dump.as_mut().expect("guarded").await }, if dump.is_some() => {
                dump = None;
                app.dump_taken(result);
                dirty = true;
            }
            _ = ticks.tick() => {
                dirty |= match source.as_deref_mut() {
                    Some(source) => {
                        if let Some(header) = source.header() {
                            app.adopt(&header);
                        }
                        for snapshot in source.sample() {
                            for message in sinks.tick(&snapshot) {
                                app.notice = Some(message);
                            }
                            app.record(snapshot);
                        }
                        app.problem = source.problem();
                        true
                    }
                    None => app.advance(),
                };
            }
            _ = frames.tick(), if dirty => {
                terminal.draw(|frame| ui::draw(frame, app))?;
                dirty = false;
            }
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => {
                    if let Some(action) = keys::action_for(key) {
                        if action == Action::Suspend {
                            suspend(terminal)?;
                        } else if let Some(effect) = app.update(action) {
                            // A replay's keys change only the app.
                            if let Some(source) = source.as_deref_mut() {
                                if effect == Effect::TakeDump {
                                    dump = source.task_dump();
                                    if dump.is_none() {
                                        app.dump_taken(Err(DumpError::Unsupported));
                                    }
                                } else {
                                    apply(source, app, sinks, effect);
                                }
                            }
                        }
                        // A replay's speed sets its clock.
                        if let Some(period) = playback_period(app).filter(|p| *p != tick) {
                            tick = period;
                            ticks = ticker(tick);
                        }
                        dirty = true;
                    }
                }
                Some(Ok(Event::Resize(..))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => return Ok(Ending::Quit),
            },
            signal = shutdown.recv() => return Ok(Ending::Signal(signal)),
            () = suspends.recv() => {
                suspend(terminal)?;
                dirty = true;
            }
            _ = &mut stop => return Ok(Ending::DurationElapsed),
        }
        if app.quit {
            return Ok(Ending::Quit);
        }
    }
}

/// A tick every `period`; one the dashboard could not take in time (a
/// starved machine) is followed a whole tick later, never by a burst of
/// tiny ticks.
fn ticker(period: Duration) -> tokio::time::Interval {
    let mut ticks = interval_at(Instant::now() + period, period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticks
}

/// Passes a key's effect to the source, and what it changed to the
/// recordings; a scenario that would not load is a notice, and the one
/// running goes on.
fn apply(source: &mut dyn Source, app: &mut App, sinks: &mut Sinks, effect: Effect) {
    let turned = match effect {
        Effect::SetKnob(knob, value) => Some(Change::Knob(knob, value)),
        _ => None,
    };
    let change = match source.apply(effect) {
        Ok(Some(scenario)) => {
            let settings = source.settings().unwrap_or_default();
            app.switched(&scenario, settings.clone());
            Some(Change::Scenario(scenario.name, settings))
        }
        Ok(None) => turned,
        Err(e) => {
            app.notice = Some(e.to_string());
            None
        }
    };
    if let Some(change) = change {
        for message in sinks.change(&change) {
            app.notice = Some(message);
        }
    }
}

/// Gives the terminal back, stops the process as Ctrl-Z does in a shell,
/// and, once continued (`fg`), takes the terminal again and redraws all.
/// The whole process stops, workloads too; the first tick after counts
/// over the pause (rates dip, as they would for a stalled program).
fn suspend(terminal: &mut DefaultTerminal) -> io::Result<()> {
    terminal.show_cursor()?;
    ratatui::restore();
    // SAFETY: raise only sends a signal to this process. SIGSTOP cannot be
    // caught, so it stops here until SIGCONT.
    unsafe { libc::raise(libc::SIGSTOP) };
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(
        io::stdout(),
        crossterm::terminal::EnterAlternateScreen,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )?;
    // Both buffers blank, so the next frame is drawn whole. (Not
    // `terminal.clear()`: it asks the terminal where the cursor is, and the
    // event stream, reading the same input, takes the answer.)
    terminal.swap_buffers();
    Ok(())
}

/// Raw mode and the alternate screen for as long as it lives; restored on
/// drop, so every return path (and `?`) leaves a usable terminal. ratatui's
/// own panic hook covers panics.
struct TerminalGuard(DefaultTerminal);

impl TerminalGuard {
    fn enter() -> io::Result<Self> {
        // A half-done init (raw mode on, no alternate screen) is undone too.
        ratatui::try_init()
            .map(Self)
            .inspect_err(|_| ratatui::restore())
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}
