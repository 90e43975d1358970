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
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{oneshot, Semaphore};

use super::backoff::Backoff;
use super::knobs::*;
use super::site;
use crate::workload::knob::LiveKnobs;

/// What the site allows a client, so a slow or greedy one cannot hold it
/// for ever.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// A connection whose request head has not all come by then is closed
    /// (counted from its first byte; an idle keep-alive connection waits).
    pub header_timeout: Duration,
    /// Connections open at once; past it, new ones wait in the listen
    /// queue until one closes.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            // Room for the closed loop's 10,000 requesters and then some.
            max_connections: 16_384,
        }
    }
}

pub struct Site {
    addr: SocketAddr,
    /// The OS id of the site's thread, once it runs.
    thread: Arc<AtomicU64>,
    hits: Arc<AtomicU64>,
    connections: Arc<AtomicU64>,
    /// Connections open now.
    open: Arc<Semaphore>,
    limits: Limits,
    out_of_files: Arc<AtomicU64>,
    /// Dropping it stops the server.
    _stop: oneshot::Sender<()>,
}

impl Site {
    /// Binds a free port on loopback and serves from a thread of its own.
    pub fn start(knobs: Arc<LiveKnobs>) -> std::io::Result<Self> {
        Self::start_with(knobs, Limits::default())
    }

    pub fn start_with(knobs: Arc<LiveKnobs>, limits: Limits) -> std::io::Result<Self> {
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
        let open = Arc::new(Semaphore::new(limits.max_connections));
        let counts = Counts {
            hits: hits.clone(),
            connections: connections.clone(),
            out_of_files: out_of_files.clone(),
            open: open.clone(),
            limits,
        };
        let thread = Arc::new(AtomicU64::new(0));
        let its_id = thread.clone();
        std::thread::Builder::new()
            .name("looptop-site".into())
            .spawn(move || {
                // The site is part of the workload.
                crate::priority::lower_this_thread();
                its_id.store(crate::cpu_time::this_thread_id(), Ordering::Relaxed);
                runtime.block_on(serve(listener, knobs, counts, stopped))
            })?;
        Ok(Self {
            addr,
            thread,
            hits,
            connections,
            open,
            limits,
            out_of_files,
            _stop: stop,
        })
    }

    /// CPU time the site's thread has used (Linux); `None` elsewhere or
    /// before it has started.
    pub fn cpu(&self) -> Option<Duration> {
        crate::cpu_time::of_thread(self.thread.load(Ordering::Relaxed))
    }

    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        self.limits.max_connections - self.open.available_permits()
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
    open: Arc<Semaphore>,
    limits: Limits,
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
        // A connection is accepted only with room for it.
        let room = tokio::select! {
            _ = &mut stopped => return,
            room = counts.open.clone().acquire_owned() => room,
        };
        let Ok(room) = room else { return };
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
        let header_timeout = counts.limits.header_timeout;
        tokio::spawn(async move {
            let _room = room;
            let service = service_fn(move |request| answer(request, knobs.clone(), hits.clone()));
            let _ = http1::Builder::new()
                .keep_alive(true)
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::knob::defaults;
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Instant;

    fn site(limits: Limits) -> Site {
        let mut values = defaults(&REQUEST_KNOBS);
        values[ERROR_RATE] = 0;
        let knobs = Arc::new(LiveKnobs::new(&REQUEST_KNOBS, &values));
        Site::start_with(knobs, limits).unwrap()
    }

    /// Whether the server closes `stream` within `within`.
    fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
        stream.set_read_timeout(Some(within)).unwrap();
        matches!(stream.read(&mut [0; 64]), Ok(0))
    }

    #[test]
    fn a_request_head_that_trickles_in_is_cut_off() {
        let site = site(Limits {
            header_timeout: Duration::from_millis(300),
            ..Limits::default()
        });
        let mut slow = TcpStream::connect(site.addr()).unwrap();
        let started = Instant::now();
        slow.write_all(b"GET / HT").unwrap();
        assert!(
            closed_within(&mut slow, Duration::from_secs(5)),
            "a head not all there in 300 ms closes its connection"
        );
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn past_the_cap_a_connection_waits_until_another_closes() {
        let site = site(Limits {
            header_timeout: Duration::from_secs(30),
            max_connections: 2,
        });
        let mut held: Vec<TcpStream> = (0..2)
            .map(|_| TcpStream::connect(site.addr()).unwrap())
            .collect();
        let deadline = Instant::now() + Duration::from_secs(5);
        while site.open_connections() < 2 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(site.open_connections(), 2);
        let mut third = TcpStream::connect(site.addr()).unwrap();
        third
            .write_all(b"GET /page/1 HTTP/1.1\r\nhost: x\r\n\r\n")
            .unwrap();
        third
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        assert!(third.read(&mut [0; 64]).is_err(), "no answer past the cap");
        assert_eq!(site.open_connections(), 2);
        held.pop();
        third
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut answer = [0; 12];
        third.read_exact(&mut answer).unwrap();
        assert_eq!(&answer, b"HTTP/1.1 200", "answered once one closed");
    }
}
