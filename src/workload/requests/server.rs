//! The embedded site: an HTTP/1.1 server on 127.0.0.1 with a port of its
//! own, on its own thread and runtime, so the panes show only the client's
//! side. Its knobs (latency, error rate, page size, links, pages) are read
//! per request, so they change while it runs.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;

use super::backoff::Backoff;
use super::knobs::*;
use super::site;
use crate::workload::knob::LiveKnobs;

pub struct Site {
    addr: SocketAddr,
    hits: Arc<AtomicU64>,
    connections: Arc<AtomicU64>,
    out_of_files: Arc<AtomicU64>,
    /// Dropping it stops the server.
    _stop: oneshot::Sender<()>,
}

impl Site {
    /// Binds a free port on loopback and serves from a thread of its own.
    pub fn start(knobs: Arc<LiveKnobs>) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let hits = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let connections = Arc::new(AtomicU64::new(0));
        let out_of_files = Arc::new(AtomicU64::new(0));
        let counts = Counts {
            hits: hits.clone(),
            connections: connections.clone(),
            out_of_files: out_of_files.clone(),
        };
        std::thread::Builder::new()
            .name("looptop-site".into())
            .spawn(move || runtime.block_on(serve(listener, knobs, counts, stopped)))?;
        Ok(Self {
            addr,
            hits,
            connections,
            out_of_files,
            _stop: stop,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests answered so far.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    /// Connections it could not accept for want of a file descriptor.
    pub fn out_of_files(&self) -> u64 {
        self.out_of_files.load(Ordering::Relaxed)
    }
}

/// What the serving side counts.
struct Counts {
    hits: Arc<AtomicU64>,
    connections: Arc<AtomicU64>,
    out_of_files: Arc<AtomicU64>,
}

async fn serve(
    listener: std::net::TcpListener,
    knobs: Arc<LiveKnobs>,
    counts: Counts,
    mut stopped: oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let mut failures = 0;
    loop {
        let accepted = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // The connection stays queued and the listener readable: at
                // once again, the same error would come back in a loop.
                if crate::limits::is_out_of_files(&e) {
                    counts.out_of_files.fetch_add(1, Ordering::Relaxed);
                }
                failures += 1;
                tokio::select! {
                    _ = &mut stopped => return,
                    _ = tokio::time::sleep(Backoff::delay(failures)) => continue,
                }
            }
        };
        failures = 0;
        counts.connections.fetch_add(1, Ordering::Relaxed);
        let _ = stream.set_nodelay(true);
        let (knobs, hits) = (knobs.clone(), counts.hits.clone());
        tokio::spawn(async move {
            let service = service_fn(move |request| answer(request, knobs.clone(), hits.clone()));
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(
    request: Request<Incoming>,
    knobs: Arc<LiveKnobs>,
    hits: Arc<AtomicU64>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    hits.fetch_add(1, Ordering::Relaxed);
    let base = knobs.get(SERVER_LATENCY);
    let jitter = knobs.get(SERVER_JITTER);
    let latency = base + (jitter as f64 * fastrand::f64()) as u64;
    if latency > 0 {
        tokio::time::sleep(Duration::from_micros(latency)).await;
    }
    let fail = fastrand::f64() * 100.0 < knobs.get(ERROR_RATE) as f64;
    let pages = knobs.get(PAGES);
    let (status, body) = match site::page_of(request.uri().path(), pages) {
        _ if fail => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "server error\n".to_string(),
        ),
        Some(n) => (
            StatusCode::OK,
            site::render(n, pages, knobs.get(LINKS), knobs.get(PAGE_SIZE) as usize),
        ),
        None => (StatusCode::NOT_FOUND, "no such page\n".to_string()),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    Ok(response)
}
