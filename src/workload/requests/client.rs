//! The client's connection handling: the state its tasks share, requests
//! through hyper-util's pool, and what every request goes through, on the
//! pool or on a connection of its own: a deadline, a capped body, and the
//! errors that say why no answer came.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::header::HeaderValue;
use hyper::{StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::runtime::Handle;
use tokio::time::Sleep;

use super::knobs::*;
use super::site;
use super::stats::{InFlight, Outcome, Stats};
use crate::workload::knob::LiveKnobs;

type HttpClient = Client<HttpConnector, Empty<Bytes>>;
pub(super) type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub(super) struct Shared {
    pub knobs: Arc<LiveKnobs>,
    pub stats: Stats,
    client: HttpClient,
    /// scheme://authority the paths are joined to.
    pub base: String,
    /// The Host header of the closed loop's requests, made once.
    pub host: HeaderValue,
    pub open_files_limit: Option<u64>,
}

impl Shared {
    /// A client of `base` (scheme://host:port), its pool on the runtime of
    /// `handle`.
    pub(super) fn new(
        handle: &Handle,
        knobs: Arc<LiveKnobs>,
        base: String,
    ) -> std::io::Result<Self> {
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
        Ok(Self {
            knobs,
            stats: Stats::default(),
            client,
            base,
            host,
            // Each requester holds two descriptors (client and site).
            open_files_limit: crate::limits::raise_open_files(),
        })
    }

    pub(super) fn timeout(&self) -> Duration {
        Duration::from_micros(self.knobs.get(TIMEOUT))
    }

    pub(super) fn max_body(&self) -> usize {
        usize::try_from(self.knobs.get(MAX_BODY)).unwrap_or(usize::MAX)
    }

    pub(super) fn random_page(&self) -> String {
        site::path_of(fastrand::u64(0..self.knobs.get(PAGES).max(1)))
    }

    /// GETs `path` through the shared pool; see `exchange`.
    pub(super) async fn fetch(&self, path: &str, since: Instant) -> Outcome {
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

    /// Sends one request (`request`: the transport's work, to the whole
    /// answer) unless `deadline` comes first; counts it and its outcome
    /// (see `Stats::count`), its latency from `since`.
    pub(super) async fn exchange(
        &self,
        since: Instant,
        deadline: Pin<&mut Sleep>,
        request: impl Future<Output = Result<(StatusCode, Bytes), BoxError>>,
    ) -> Outcome {
        let in_flight = InFlight::enter(&self.stats);
        let outcome = tokio::select! {
            biased;
            answer = request => Some(answer),
            _ = deadline => None,
        };
        in_flight.answered();
        self.stats.count(since, outcome)
    }
}

/// The whole body, read as it comes, or a `LengthLimitError` once it passes
/// `max` bytes: what has come is dropped then, not kept growing.
pub(super) async fn read_capped<B>(body: B, max: usize) -> Result<Bytes, BoxError>
where
    B: hyper::body::Body,
    B::Error: Into<BoxError>,
{
    Ok(Limited::new(body, max).collect().await?.to_bytes())
}

/// Whether `error`, or one it was caused by, says the process has no file
/// descriptors left.
pub(super) fn out_of_files(error: &(dyn std::error::Error + 'static)) -> bool {
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

/// host:port of a scheme://host:port base.
pub(super) fn authority_of(base: &str) -> &str {
    base.trim_start_matches("http://")
}

/// A connection that could not be opened.
#[derive(Debug)]
pub(super) struct ConnectError(pub std::io::Error);

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot connect: {}", self.0)
    }
}

impl std::error::Error for ConnectError {}

#[cfg(test)]
mod tests {
    use crate::workload::requests::knobs::*;
    use crate::workload::requests::test_support::{runtime, values, wait};
    use crate::workload::requests::RequestsWorkload;

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
}
