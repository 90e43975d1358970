//! `looptop attach ADDR`: a source whose snapshots come from another
//! process's endpoint (`--serve`). A thread of its own asks for the ticks
//! it has not seen, once a tick; when the connection drops, the program
//! ends or the peer is not looptop, it says so in one line and tries again,
//! with waits that grow to a few seconds, rather than giving up.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::StatusCode;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::endpoint::PREFIX;
use crate::recording::{reader, Header};
use crate::sampler::Snapshot;
use crate::scenario::{Scenario, ScenarioError};
use crate::settings::Settings;
use crate::source::{DumpFuture, Effect, Source};

/// The most one answer may hold.
const MAX_ANSWER: usize = 64 << 20;

/// What the thread shares with the source.
#[derive(Default)]
struct Link {
    header: Option<Header>,
    ticks: VecDeque<Snapshot>,
    /// Why there is no connection now, if there is none.
    problem: Option<String>,
}

pub struct Attached {
    addr: SocketAddr,
    link: Arc<Mutex<Link>>,
}

impl Attached {
    /// Starts asking `addr` for its ticks; it is not an error if nothing
    /// answers yet.
    pub fn connect(addr: SocketAddr) -> std::io::Result<Self> {
        let link = Arc::new(Mutex::new(Link {
            problem: Some(format!("connecting to {addr}")),
            ..Link::default()
        }));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let shared = link.clone();
        std::thread::Builder::new()
            .name("looptop-attach".to_string())
            .spawn(move || runtime.block_on(follow(addr, shared)))?;
        Ok(Self { addr, link })
    }

    /// The other run's header, once it has answered.
    pub fn header(&self) -> Option<Header> {
        lock(&self.link).header.clone()
    }

    /// Waits up to `wait` for the first answer: its header, or why not.
    pub fn first_answer(&self, wait: Duration) -> Result<Header, String> {
        let deadline = std::time::Instant::now() + wait;
        loop {
            let link = lock(&self.link);
            if let Some(header) = &link.header {
                return Ok(header.clone());
            }
            let problem = link.problem.clone().unwrap_or_default();
            drop(link);
            if std::time::Instant::now() >= deadline {
                return Err(problem);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Source for Attached {
    fn sample(&mut self) -> Vec<Snapshot> {
        lock(&self.link).ticks.drain(..).collect()
    }

    fn workers(&self) -> usize {
        self.header().map_or(0, |h| h.workers)
    }

    /// None: an attached dashboard changes nothing in the other process.
    fn settings(&self) -> Option<Settings> {
        None
    }

    fn apply(&mut self, _: Effect) -> Result<Option<Scenario>, ScenarioError> {
        Err(ScenarioError {
            origin: self.addr.to_string(),
            line: None,
            message: crate::source::READ_ONLY.to_string(),
        })
    }

    fn task_dump(&self) -> Option<DumpFuture> {
        None
    }

    fn problem(&self) -> Option<String> {
        lock(&self.link).problem.clone()
    }

    fn header(&self) -> Option<Header> {
        Attached::header(self)
    }
}

/// Follows `addr` for as long as the process runs.
async fn follow(addr: SocketAddr, link: Arc<Mutex<Link>>) {
    let client: Client<HttpConnector, Empty<Bytes>> =
        Client::builder(TokioExecutor::new()).build(HttpConnector::new());
    let mut wait = Duration::from_millis(250);
    let mut after = 0;
    loop {
        match poll(&client, addr, &mut after, &link).await {
            Ok(tick) => {
                lock(&link).problem = None;
                wait = Duration::from_millis(250);
                tokio::time::sleep(tick).await;
            }
            Err(problem) => {
                lock(&link).problem = Some(format!("{addr}: {problem}; trying again"));
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(4));
            }
        }
    }
}

/// One round: the header (first, or after the other process restarted),
/// then the ticks after `after`. Its tick, to wait before the next.
async fn poll(
    client: &Client<HttpConnector, Empty<Bytes>>,
    addr: SocketAddr,
    after: &mut u64,
    link: &Mutex<Link>,
) -> Result<Duration, String> {
    let info = get(client, &format!("http://{addr}{PREFIX}/info")).await?;
    let header: Header = serde_json::from_slice(&info.1)
        .ok()
        .filter(|h: &Header| h.looptop_recording >= 1)
        .ok_or_else(|| "not a looptop endpoint (no run header at /looptop/v1/info)".to_string())?;
    let tick = Duration::from_secs_f64(header.tick_s.clamp(0.05, 5.0));
    let (last, body) = get(
        client,
        &format!("http://{addr}{PREFIX}/ticks?after={after}"),
    )
    .await?;
    // A run that restarted numbers its ticks from 1 again.
    if last < *after {
        *after = 0;
    }
    let mut parsed = Vec::new();
    for line in String::from_utf8_lossy(&body).lines() {
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("a tick that is not JSON: {e}"))?;
        parsed.push(reader::snapshot(&value)?);
    }
    *after = last.max(*after);
    let mut link = lock(link);
    link.header = Some(header);
    link.ticks.extend(parsed);
    // An attacher not drawing (a stopped terminal) keeps a minute, not all.
    while link.ticks.len() > 240 {
        link.ticks.pop_front();
    }
    Ok(tick)
}

/// GETs `url`: the `x-looptop-last` header's number and the body.
async fn get(
    client: &Client<HttpConnector, Empty<Bytes>>,
    url: &str,
) -> Result<(u64, Bytes), String> {
    let uri: hyper::Uri = url.parse().map_err(|e| format!("{e}"))?;
    let answer = tokio::time::timeout(Duration::from_secs(3), async {
        let response = client.get(uri).await.map_err(|e| describe(&e))?;
        let status = response.status();
        let last = response
            .headers()
            .get("x-looptop-last")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let body = Limited::new(response.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        if status != StatusCode::OK {
            return Err(format!(
                "not a looptop endpoint (HTTP {} for {})",
                status.as_u16(),
                url.split_once(PREFIX).map_or(url, |(_, p)| p)
            ));
        }
        Ok((last, body))
    });
    answer
        .await
        .map_err(|_| "no answer within 3 s".to_string())?
}

/// The innermost cause: "connection refused", not hyper's wrapping.
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

fn lock(link: &Mutex<Link>) -> std::sync::MutexGuard<'_, Link> {
    link.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
