//! Concurrent HTTP requests, like the tutorial's crawler: a client on the
//! observed runtime (hyper; keep-alive connections, in hyper-util's shared
//! pool for the open loop and the crawl, one per requester, driven by the
//! requester itself, in the closed loop) against the embedded site or a
//! `--target` server. Three modes, switchable live: a closed loop of
//! concurrent requesters; an open loop at a rate, whose latency counts from
//! each request's scheduled time, so a stalled client shows as latency
//! rather than as a lower rate; and a breadth-first crawl that follows links
//! to a depth, fetches no page twice, and starts again.

mod backoff;
pub mod knobs;
pub mod pane;
pub mod report;
pub mod server;
pub mod site;

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, LengthLimitError, Limited};
use std::future::Future;
use std::pin::{pin, Pin};
use std::task::Poll;

use hyper::client::conn::http1;
use hyper::header::{HeaderValue, HOST};
use hyper::http::uri::InvalidUri;
use hyper::{Request, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::runtime::Handle;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Sleep;
use tokio_util::sync::CancellationToken;

use super::knob::LiveKnobs;
use super::latency::{Latency, LatencyRecorder};
use super::task_group::TaskGroup;
use backoff::Backoff;
use knobs::*;
use server::Site;

/// Requests in flight beyond which the open loop sheds load rather than
/// grow without bound.
const MAX_IN_FLIGHT: u64 = 10_000;

type HttpClient = Client<HttpConnector, Empty<Bytes>>;
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Cumulative counts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestCounters {
    pub mode: u64,
    pub concurrency: u64,
    pub target: String,
    pub sent: u64,
    pub in_flight: u64,
    pub ok: u64,
    pub client_errors: u64,
    pub server_errors: u64,
    pub timeouts: u64,
    pub connect_errors: u64,
    pub other_errors: u64,
    /// Answers whose body passed the `max_body` knob, given up there.
    pub too_large: u64,
    /// Requests dropped unanswered when their mode or scenario stopped.
    pub cancelled: u64,
    /// Open loop: requests not sent because too many were in flight.
    pub shed: u64,
    pub pages_crawled: u64,
    pub links_found: u64,
    pub crawls: u64,
    /// Pages the last finished crawl fetched, and how many distinct.
    pub last_crawl_fetches: u64,
    pub last_crawl_pages: u64,
    /// Connections refused for want of a file descriptor, by the client
    /// or the embedded site.
    pub out_of_files: u64,
    /// The process's limit on open files.
    pub open_files_limit: Option<u64>,
    /// Requesters waiting before they try again after a failure.
    pub backing_off: u64,
    /// The embedded site's thread's CPU time and its open connections;
    /// `None` with `--target` (or where the OS does not say).
    pub site_cpu: Option<Duration>,
    pub site_connections: Option<u64>,
}

#[derive(Default)]
struct Stats {
    sent: AtomicU64,
    in_flight: AtomicU64,
    ok: AtomicU64,
    client_errors: AtomicU64,
    server_errors: AtomicU64,
    timeouts: AtomicU64,
    connect_errors: AtomicU64,
    other_errors: AtomicU64,
    too_large: AtomicU64,
    cancelled: AtomicU64,
    shed: AtomicU64,
    pages_crawled: AtomicU64,
    links_found: AtomicU64,
    crawls: AtomicU64,
    last_crawl_fetches: AtomicU64,
    last_crawl_pages: AtomicU64,
    /// Failures for want of a file descriptor, client side.
    out_of_files: AtomicU64,
    /// Requesters waiting before they try again after a failure.
    backing_off: AtomicU64,
    latency: LatencyRecorder,
}

struct Shared {
    knobs: Arc<LiveKnobs>,
    stats: Stats,
    client: HttpClient,
    /// scheme://authority the paths are joined to.
    base: String,
    /// The Host header of the closed loop's requests, made once.
    host: HeaderValue,
    open_files_limit: Option<u64>,
}

pub struct RequestsWorkload {
    shared: Arc<Shared>,
    /// The embedded site, unless a target was given.
    site: Option<Site>,
    requesters: TaskGroup,
    scheduler: TaskGroup,
    crawler: TaskGroup,
}

impl RequestsWorkload {
    /// Against `target` (scheme://host:port), or the embedded site.
    pub fn start(handle: &Handle, values: &[u64], target: Option<&str>) -> std::io::Result<Self> {
        let knobs = Arc::new(LiveKnobs::new(&REQUEST_KNOBS, values));
        let site = match target {
            Some(_) => None,
            None => Some(Site::start(knobs.clone())?),
        };
        let base = match (&site, target) {
            (Some(site), _) => format!("http://{}", site.addr()),
            (None, Some(target)) => target.trim_end_matches('/').to_string(),
            (None, None) => unreachable!("a site or a target"),
        };
        let authority = authority_of(&base);
        let host = HeaderValue::from_str(authority).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{authority:?} is not a host name"),
            )
        })?;
        // The pool's connection tasks run on the observed runtime too.
        let _entered = handle.enter();
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(usize::MAX)
            .build(HttpConnector::new());
        let mut workload = Self {
            shared: Arc::new(Shared {
                knobs,
                stats: Stats::default(),
                client,
                base,
                host,
                // Each requester holds two descriptors (client and site).
                open_files_limit: crate::limits::raise_open_files(),
            }),
            site,
            requesters: TaskGroup::new(handle.clone(), "requester"),
            scheduler: TaskGroup::new(handle.clone(), "scheduler"),
            crawler: TaskGroup::new(handle.clone(), "crawler"),
        };
        workload.restart();
        Ok(workload)
    }

    pub fn set(&mut self, index: usize, value: u64) {
        let before = self.shared.knobs.get(index);
        self.shared.knobs.set(index, value);
        let changed = self.shared.knobs.get(index) != before;
        // The crawl's semaphore is sized when a crawl starts: restart it.
        let crawling = self.shared.knobs.get(MODE) == MODES.len() as u64 - 1;
        if changed && (index == MODE || (index == CONCURRENCY && crawling)) {
            self.requesters.resize(0, |_, _| async {});
            self.scheduler.resize(0, |_, _| async {});
            self.crawler.resize(0, |_, _| async {});
        }
        if changed && matches!(index, MODE | CONCURRENCY) {
            self.restart();
        }
    }

    pub fn values(&self) -> Vec<u64> {
        self.shared.knobs.values()
    }

    /// Requests the embedded site answered, if it runs.
    pub fn site_hits(&self) -> Option<u64> {
        self.site.as_ref().map(Site::hits)
    }

    /// Connections the embedded site accepted, if it runs.
    pub fn site_connections(&self) -> Option<u64> {
        self.site.as_ref().map(Site::connections)
    }

    pub fn counters(&self) -> RequestCounters {
        let s = &self.shared.stats;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        RequestCounters {
            mode: self.shared.knobs.get(MODE),
            concurrency: self.shared.knobs.get(CONCURRENCY),
            target: self.shared.base.clone(),
            sent: get(&s.sent),
            in_flight: get(&s.in_flight),
            ok: get(&s.ok),
            client_errors: get(&s.client_errors),
            server_errors: get(&s.server_errors),
            timeouts: get(&s.timeouts),
            connect_errors: get(&s.connect_errors),
            other_errors: get(&s.other_errors),
            too_large: get(&s.too_large),
            cancelled: get(&s.cancelled),
            shed: get(&s.shed),
            pages_crawled: get(&s.pages_crawled),
            links_found: get(&s.links_found),
            crawls: get(&s.crawls),
            last_crawl_fetches: get(&s.last_crawl_fetches),
            last_crawl_pages: get(&s.last_crawl_pages),
            out_of_files: get(&s.out_of_files) + self.site.as_ref().map_or(0, Site::out_of_files),
            open_files_limit: self.shared.open_files_limit,
            backing_off: get(&s.backing_off),
            site_cpu: self.site.as_ref().and_then(Site::cpu),
            site_connections: self.site.as_ref().map(|s| s.open_connections() as u64),
        }
    }

    /// Takes the latencies recorded since the last call: once a tick, by
    /// the sampler.
    pub fn take_latency(&mut self) -> Latency {
        self.shared.stats.latency.take()
    }

    /// The tasks of the current mode, as many as it needs.
    fn restart(&mut self) {
        let mode = self.shared.knobs.get(MODE);
        let concurrency = self.shared.knobs.get(CONCURRENCY) as usize;
        let shared = &self.shared;
        let closed = if mode == CLOSED { concurrency } else { 0 };
        self.requesters
            .resize(closed, |_, token| requester(shared.clone(), token));
        let open = usize::from(mode == OPEN);
        self.scheduler
            .resize(open, |_, token| open_loop(shared.clone(), token));
        let crawl = usize::from(mode > OPEN);
        self.crawler
            .resize(crawl, |_, token| crawler(shared.clone(), token));
    }
}

impl Shared {
    fn timeout(&self) -> Duration {
        Duration::from_micros(self.knobs.get(TIMEOUT))
    }

    fn max_body(&self) -> usize {
        usize::try_from(self.knobs.get(MAX_BODY)).unwrap_or(usize::MAX)
    }

    fn random_page(&self) -> String {
        site::path_of(fastrand::u64(0..self.knobs.get(PAGES).max(1)))
    }

    /// GETs `path` through the shared pool; see `exchange`.
    async fn fetch(&self, path: &str, since: Instant) -> Outcome {
        let uri: Result<Uri, _> = format!("{}{path}", self.base).parse();
        let deadline = pin!(tokio::time::sleep(self.timeout()));
        self.exchange(since, deadline, async {
            let response = self.client.get(uri?).await?;
            let status = response.status();
            let body = read_capped(response.into_body(), self.max_body()).await?;
            Ok((status, body))
        })
        .await
    }

    /// GETs `path` on the requester's own keep-alive connection, opening one
    /// first if there is none; see `exchange`. `deadline` is the requester's
    /// timer, moved on for each request rather than made anew.
    async fn fetch_on(
        &self,
        link: &mut Option<Box<Link>>,
        path: Result<Uri, InvalidUri>,
        mut deadline: Pin<&mut Sleep>,
    ) -> Outcome {
        let since = Instant::now();
        deadline.as_mut().reset((since + self.timeout()).into());
        self.exchange(since, deadline, async {
            // Taken out while in use: a request abandoned half-way (timed
            // out, cancelled) or failed leaves the connection unusable, and
            // then it is dropped with the request.
            let mut open = match link.take() {
                Some(open) => open,
                None => self.connect().await?,
            };
            let mut request = Request::new(Empty::new());
            *request.uri_mut() = path?;
            request.headers_mut().insert(HOST, self.host.clone());
            let answer = open.get(request, self.max_body()).await?;
            // A server may close the connection after an answer.
            if !open.closed {
                *link = Some(open);
            }
            Ok(answer)
        })
        .await
    }

    fn authority(&self) -> &str {
        authority_of(&self.base)
    }

    /// Boxed: a connection's state is large, and it moves in and out of
    /// its requester's hands with every request.
    async fn connect(&self) -> Result<Box<Link>, BoxError> {
        let stream = tokio::net::TcpStream::connect(self.authority())
            .await
            .map_err(ConnectError)?;
        stream.set_nodelay(true).map_err(ConnectError)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        Ok(Box::new(Link {
            sender,
            connection,
            closed: false,
        }))
    }

    /// Sends one request (`request`: the transport's work, to the whole
    /// answer) unless `deadline` comes first; counts it and its outcome;
    /// latency runs from `since` (the scheduled send time in the open loop)
    /// to the answer, or to the moment it was given up: a timed-out request
    /// counts at its timeout, or under overload the slowest would be left
    /// out of the percentiles.
    async fn exchange(
        &self,
        since: Instant,
        deadline: Pin<&mut Sleep>,
        request: impl Future<Output = Result<(StatusCode, Bytes), BoxError>>,
    ) -> Outcome {
        let stats = &self.stats;
        stats.sent.fetch_add(1, Ordering::Relaxed);
        let in_flight = InFlight::enter(stats);
        let outcome = tokio::select! {
            biased;
            answer = request => Some(answer),
            _ = deadline => None,
        };
        in_flight.answered();
        let count = |a: &AtomicU64| {
            a.fetch_add(1, Ordering::Relaxed);
        };
        match outcome {
            None => {
                stats.latency.record(since.elapsed());
                count(&stats.timeouts);
                Outcome::TimedOut
            }
            Some(Err(e)) if e.is::<LengthLimitError>() => {
                count(&stats.too_large);
                Outcome::Failed
            }
            Some(Err(e)) => {
                let connect = e.is::<ConnectError>()
                    || e.downcast_ref::<hyper_util::client::legacy::Error>()
                        .is_some_and(|e| e.is_connect());
                count(if connect {
                    &stats.connect_errors
                } else {
                    &stats.other_errors
                });
                if out_of_files(&*e) {
                    count(&stats.out_of_files);
                }
                Outcome::Failed
            }
            Some(Ok((status, body))) => {
                stats.latency.record(since.elapsed());
                if status.is_success() {
                    count(&stats.ok);
                    return Outcome::Answered(Some(body));
                }
                count(if status.is_server_error() {
                    &stats.server_errors
                } else {
                    &stats.client_errors
                });
                Outcome::Answered(None)
            }
        }
    }
}

/// The whole body, read as it comes, or a `LengthLimitError` once it passes
/// `max` bytes: what has come is dropped then, not kept growing.
async fn read_capped<B>(body: B, max: usize) -> Result<Bytes, BoxError>
where
    B: hyper::body::Body,
    B::Error: Into<BoxError>,
{
    Ok(Limited::new(body, max).collect().await?.to_bytes())
}

/// How a request ended, for the task that sent it.
enum Outcome {
    /// An answer came; its body if it was 2xx.
    Answered(Option<Bytes>),
    TimedOut,
    /// No answer: the connection could not be made or broke.
    Failed,
}

impl Outcome {
    fn body(self) -> Option<Bytes> {
        match self {
            Outcome::Answered(body) => body,
            Outcome::TimedOut | Outcome::Failed => None,
        }
    }
}

/// Whether `error`, or one it was caused by, says the process has no file
/// descriptors left.
fn out_of_files(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        let io = e.downcast_ref::<std::io::Error>().or_else(|| {
            let connect = e.downcast_ref::<ConnectError>();
            connect.map(|c| &c.0)
        });
        if io.is_some_and(crate::limits::is_out_of_files) {
            return true;
        }
        cause = e.source();
    }
    false
}

/// A request from sent to answered. Dropped unanswered (its task aborted,
/// its future dropped), it counts as cancelled, so every request sent ends
/// up counted exactly once.
struct InFlight<'a> {
    stats: &'a Stats,
    answered: bool,
}

impl<'a> InFlight<'a> {
    fn enter(stats: &'a Stats) -> Self {
        stats.in_flight.fetch_add(1, Ordering::Relaxed);
        Self {
            stats,
            answered: false,
        }
    }

    fn answered(mut self) {
        self.answered = true;
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.stats.in_flight.fetch_sub(1, Ordering::Relaxed);
        if !self.answered {
            self.stats.cancelled.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Closed loop: one request after another, as fast as answers come, each
/// requester on a keep-alive connection of its own which it drives itself,
/// as load generators do. The shared pool's checkout and a connection task
/// of its own add wake-ups to every request; the README's performance
/// section has what each cost in `benches/http.rs`.
async fn requester(shared: Arc<Shared>, cancel: CancellationToken) {
    let mut link = None;
    // Made once: each would otherwise register anew for every request.
    let mut cancelled = pin!(cancel.cancelled());
    let mut deadline = pin!(tokio::time::sleep(Duration::ZERO));
    let mut backoff = Backoff::default();
    loop {
        let path = Uri::try_from(shared.random_page());
        let outcome = tokio::select! {
            biased;
            _ = &mut cancelled => return,
            outcome = shared.fetch_on(&mut link, path, deadline.as_mut()) => outcome,
        };
        if let Outcome::Failed = outcome {
            tokio::select! {
                biased;
                _ = &mut cancelled => return,
                _ = backoff.wait(&shared.stats) => {}
            }
        } else {
            backoff.reset();
        }
    }
}

/// A keep-alive HTTP/1 connection and its sending half, driven by the task
/// that uses it rather than by a task of its own.
struct Link {
    sender: http1::SendRequest<Empty<Bytes>>,
    connection: http1::Connection<TokioIo<TcpStream>, Empty<Bytes>>,
    /// The connection has ended (its future is done: not to be polled).
    closed: bool,
}

impl Link {
    /// Sends `request` and reads the whole answer, driving the connection
    /// meanwhile.
    async fn get(
        &mut self,
        request: Request<Empty<Bytes>>,
        max_body: usize,
    ) -> Result<(StatusCode, Bytes), BoxError> {
        let sender = &mut self.sender;
        let mut answer = pin!(async {
            let response = sender.send_request(request).await?;
            let status = response.status();
            let body = read_capped(response.into_body(), max_body).await?;
            Ok::<_, BoxError>((status, body))
        });
        let connection = &mut self.connection;
        let mut closed = false;
        let answer = std::future::poll_fn(|cx| {
            // The answer first queues the request, the connection then
            // writes it; once read, the answer takes the response.
            if let Poll::Ready(answer) = answer.as_mut().poll(cx) {
                return Poll::Ready(answer);
            }
            if !closed {
                closed = Pin::new(&mut *connection).poll(cx).is_ready();
            }
            match answer.as_mut().poll(cx) {
                Poll::Pending if closed => Poll::Ready(Err("connection closed".into())),
                polled => polled,
            }
        })
        .await;
        // A server that closes after an answer ends the connection here.
        self.closed = closed;
        answer
    }
}

/// host:port of a scheme://host:port base.
fn authority_of(base: &str) -> &str {
    base.trim_start_matches("http://")
}

/// A connection that could not be opened.
#[derive(Debug)]
struct ConnectError(std::io::Error);

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot connect: {}", self.0)
    }
}

impl std::error::Error for ConnectError {}

/// Open loop: requests at their scheduled times whatever happens to the
/// ones before; a late start is latency, not a lower rate.
async fn open_loop(shared: Arc<Shared>, cancel: CancellationToken) {
    let mut next = Instant::now();
    loop {
        let rate = shared.knobs.get(RATE).max(1);
        next += Duration::from_secs(1) / rate as u32;
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep_until(next.into()) => {}
        }
        if shared.stats.in_flight.load(Ordering::Relaxed) >= MAX_IN_FLIGHT {
            // Given up when due: its latency is how late that was.
            shared.stats.latency.record(next.elapsed());
            shared.stats.shed.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let (request, scheduled) = (shared.clone(), next);
        let path = shared.random_page();
        // Boxed: a request future is over a kilobyte, and the task holding
        // it would be twice that (see runtime::spawn_named).
        tokio::spawn(Box::pin(
            async move { request.fetch(&path, scheduled).await },
        ));
        // Catching up after a stall spawns many at once: let others run.
        tokio::task::coop::consume_budget().await;
    }
}

/// Crawls, one after another, until cancelled; after a crawl that got no
/// page, waits before the next.
async fn crawler(shared: Arc<Shared>, cancel: CancellationToken) {
    let mut backoff = Backoff::default();
    tokio::select! {
        _ = cancel.cancelled() => {}
        _ = async {
            loop {
                let before = shared.stats.pages_crawled.load(Ordering::Relaxed);
                crawl(&shared).await;
                if shared.stats.pages_crawled.load(Ordering::Relaxed) == before {
                    backoff.wait(&shared.stats).await;
                } else {
                    backoff.reset();
                }
            }
        } => {}
    }
}

/// One breadth-first crawl from the root, to the depth knob, with at most
/// `concurrency` fetches at once (a semaphore) and no page fetched twice.
async fn crawl(shared: &Arc<Shared>) {
    let permits = Arc::new(Semaphore::new(shared.knobs.get(CONCURRENCY) as usize));
    let depth = shared.knobs.get(DEPTH);
    let mut visited: HashSet<String> = HashSet::from(["/".to_string()]);
    let mut frontier: VecDeque<(String, u64)> = VecDeque::from([("/".to_string(), 0)]);
    let mut fetches = JoinSet::new();
    let mut fetched = 0;
    loop {
        while let Some((path, at)) = frontier.pop_front() {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let shared = shared.clone();
            fetched += 1;
            fetches.spawn(Box::pin(async move {
                let body = shared.fetch(&path, Instant::now()).await.body();
                drop(permit);
                (body, at)
            }));
        }
        let Some(done) = fetches.join_next().await else {
            break;
        };
        let Ok((Some(body), at)) = done else {
            continue;
        };
        shared.stats.pages_crawled.fetch_add(1, Ordering::Relaxed);
        let html = String::from_utf8_lossy(&body);
        for href in site::hrefs(&html) {
            shared.stats.links_found.fetch_add(1, Ordering::Relaxed);
            // Same site only, and within the depth.
            if href.starts_with('/') && at < depth && visited.insert(href.to_string()) {
                frontier.push_back((href.to_string(), at + 1));
            }
        }
    }
    let stats = &shared.stats;
    stats.last_crawl_fetches.store(fetched, Ordering::Relaxed);
    stats
        .last_crawl_pages
        .store(visited.len() as u64, Ordering::Relaxed);
    stats.crawls.fetch_add(1, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::knob::defaults;

    fn runtime(workers: usize) -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .unwrap()
    }

    fn values(changes: &[(usize, u64)]) -> Vec<u64> {
        let mut values = defaults(&REQUEST_KNOBS);
        for &(knob, value) in changes {
            values[knob] = value;
        }
        values
    }

    /// Waits for `done`, checking every 20 ms, up to 10 s.
    fn wait(w: &RequestsWorkload, done: impl Fn(&RequestCounters) -> bool) -> RequestCounters {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let c = w.counters();
            if done(&c) || Instant::now() > deadline {
                return c;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn every_request_is_counted_once_and_errors_show_as_500s() {
        let rt = runtime(2);
        let v = values(&[(ERROR_RATE, 20), (SERVER_LATENCY, 0), (SERVER_JITTER, 0)]);
        let mut w = RequestsWorkload::start(rt.handle(), &v, None).unwrap();
        wait(&w, |c| c.sent > 2_000);
        w.set(CONCURRENCY, 1);
        w.set(MODE, OPEN);
        w.set(RATE, 1);
        let c = wait(&w, |c| c.in_flight == 0);
        let ended = c.ok
            + c.client_errors
            + c.server_errors
            + c.timeouts
            + c.connect_errors
            + c.other_errors
            + c.too_large
            + c.cancelled;
        assert_eq!(c.sent, ended + c.in_flight, "{c:?}");
        let share = c.server_errors as f64 / c.sent as f64;
        assert!(
            (0.15..=0.25).contains(&share),
            "20% errors, saw {share}: {c:?}"
        );
        // The site saw each request once (give or take the open loop's next).
        let hits = w.site_hits().unwrap();
        assert!(
            hits <= c.sent + 1 && hits + c.cancelled >= c.sent,
            "{hits} hits: {c:?}"
        );
    }

    #[test]
    fn the_site_latency_sets_the_median_and_a_short_timeout_fires() {
        let rt = runtime(2);
        let v = values(&[
            (SERVER_LATENCY, 50_000),
            (SERVER_JITTER, 0),
            (ERROR_RATE, 0),
        ]);
        let mut w = RequestsWorkload::start(rt.handle(), &v, None).unwrap();
        std::thread::sleep(Duration::from_millis(600));
        let c = w.counters();
        let latency = w.take_latency();
        assert!(latency.p50_us >= 50_000.0, "{latency:?}");
        assert_eq!(c.timeouts, 0);

        let v = values(&[
            (SERVER_LATENCY, 200_000),
            (TIMEOUT, 50_000),
            (ERROR_RATE, 0),
        ]);
        let mut w = RequestsWorkload::start(rt.handle(), &v, None).unwrap();
        let c = wait(&w, |c| c.timeouts >= 32);
        assert!(c.timeouts >= 32 && c.ok == 0, "{c:?}");
        let latency = w.take_latency();
        assert!(
            latency.count >= 32 && latency.p50_us >= 50_000.0,
            "timed-out requests count at their timeout: {latency:?}"
        );
    }

    #[test]
    fn requesters_keep_their_connections_and_replace_one_a_timeout_spoilt() {
        let rt = runtime(2);
        // A timeout no busy test machine reaches, so no connection is lost.
        let v = values(&[
            (CONCURRENCY, 8),
            (TIMEOUT, 10_000_000),
            (SERVER_LATENCY, 0),
            (SERVER_JITTER, 0),
            (ERROR_RATE, 0),
        ]);
        let mut w = RequestsWorkload::start(rt.handle(), &v, None).unwrap();
        let c = wait(&w, |c| c.ok >= 2_000);
        assert!(c.ok >= 2_000, "{c:?}");
        assert_eq!(w.site_connections(), Some(8), "keep-alive: {c:?}");

        // Answers later than the timeout: each abandoned request leaves its
        // connection half-used, so the next must come on a new one.
        w.set(SERVER_LATENCY, 200_000);
        w.set(TIMEOUT, 50_000);
        let timed_out = wait(&w, |c| c.timeouts >= 16);
        w.set(SERVER_LATENCY, 0);
        let c = wait(&w, |c| c.ok >= timed_out.ok + 1_000);
        assert!(c.ok >= timed_out.ok + 1_000, "{c:?}");
        assert_eq!(c.other_errors + c.connect_errors, 0, "{c:?}");
        let connections = w.site_connections().unwrap();
        assert!(connections >= 8 + 16, "{connections} connections: {c:?}");
    }

    /// A server that answers every request `200 ok` and then closes the
    /// connection, as servers without keep-alive do. Its address.
    fn closing_server() -> String {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let _ = stream.read(&mut [0; 4096]);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                );
            }
        });
        format!("http://{addr}")
    }

    /// A server whose answers never end: a chunked body, 4 KiB a chunk,
    /// for as long as the client reads.
    fn endless_server() -> String {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                std::thread::spawn(move || {
                    let _ = stream.read(&mut [0; 4096]);
                    let head = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
                    let chunk = [b"1000\r\n".as_slice(), &[b'x'; 4096], b"\r\n"].concat();
                    if stream.write_all(head).is_ok() {
                        while stream.write_all(&chunk).is_ok() {}
                    }
                });
            }
        });
        format!("http://{addr}")
    }

    #[test]
    fn an_endless_body_is_given_up_at_the_cap_and_memory_stays_flat() {
        let rt = runtime(2);
        let v = values(&[
            (CONCURRENCY, 4),
            (MAX_BODY, 64 * 1024),
            (TIMEOUT, 10_000_000),
        ]);
        let before = crate::workload::threads_vs_tasks::process_threads_and_rss().1;
        let w = RequestsWorkload::start(rt.handle(), &v, Some(&endless_server())).unwrap();
        let c = wait(&w, |c| c.too_large >= 20);
        let grown = crate::workload::threads_vs_tasks::process_threads_and_rss()
            .1
            .saturating_sub(before);
        assert!(c.too_large >= 20, "{c:?}");
        assert_eq!((c.ok, c.other_errors), (0, 0), "{c:?}");
        // 4 requesters holding at most 64 KiB each, not what was sent.
        assert!(
            grown < 64 * 1024 * 1024,
            "resident memory grew {grown} bytes"
        );
    }

    #[test]
    fn a_server_closing_after_each_answer_costs_no_errors() {
        let rt = runtime(2);
        let v = values(&[(CONCURRENCY, 4), (TIMEOUT, 10_000_000)]);
        let w = RequestsWorkload::start(rt.handle(), &v, Some(&closing_server())).unwrap();
        let c = wait(&w, |c| c.ok >= 200);
        assert!(c.ok >= 200, "{c:?}");
        assert_eq!(c.other_errors + c.connect_errors, 0, "{c:?}");
    }

    #[test]
    fn a_crawl_fetches_every_page_of_a_small_site_exactly_once() {
        let rt = runtime(2);
        let v = values(&[
            (MODE, 2),
            (PAGES, 40),
            (LINKS, 3),
            (DEPTH, 20),
            (ERROR_RATE, 0),
            (SERVER_LATENCY, 1_000),
        ]);
        let w = RequestsWorkload::start(rt.handle(), &v, None).unwrap();
        let c = wait(&w, |c| c.crawls >= 1);
        assert!(c.crawls >= 1, "{c:?}");
        assert_eq!(
            (c.last_crawl_pages, c.last_crawl_fetches),
            (40, 40),
            "{c:?}"
        );
        assert!(c.links_found >= 40 * 3, "{c:?}");
    }

    #[test]
    fn in_the_open_loop_a_stalled_client_shows_as_latency() {
        // One worker, blocked for half a second: requests due meanwhile go
        // out late, and their latency counts from when they were due.
        let rt = runtime(1);
        let v = values(&[
            (MODE, OPEN),
            (RATE, 200),
            (SERVER_LATENCY, 1_000),
            (SERVER_JITTER, 0),
        ]);
        let mut w = RequestsWorkload::start(rt.handle(), &v, None).unwrap();
        std::thread::sleep(Duration::from_millis(500));
        let calm = w.take_latency();
        rt.spawn(async { std::thread::sleep(Duration::from_millis(500)) });
        std::thread::sleep(Duration::from_millis(1_000));
        let stalled = w.take_latency();
        assert!(calm.p99_us < 100_000.0, "{calm:?}");
        // 200/s for a second: about 200 requests, the 100 due during the
        // stall late by up to 500 ms, so a quarter of all at least 250 ms
        // late. Timed from when they were sent, only the one in flight
        // would show it.
        assert!(stalled.count >= 160, "none left out: {stalled:?}");
        assert!(
            stalled.p90_us >= 200_000.0 && stalled.max_us >= 400_000.0,
            "the stall shows in every request it delayed: {stalled:?}"
        );
    }
}
