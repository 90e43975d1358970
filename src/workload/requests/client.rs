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
use hyper::http::uri::InvalidUri;
use hyper::{StatusCode, Uri};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio::runtime::Handle;
use tokio::time::Sleep;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tokio_util::either::Either;

use super::knobs::*;
use super::stats::{InFlight, Outcome, Stats};
use super::target::Target;
use super::{site, tls};
use crate::workload::knob::LiveKnobs;

type HttpClient = Client<HttpsConnector<HttpConnector>, Empty<Bytes>>;
pub(super) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A connection of the closed loop's own: plain, or TLS over TCP.
pub(super) type Stream = TokioIo<Either<TcpStream, TlsStream<TcpStream>>>;

pub(super) struct Shared {
    pub knobs: Arc<LiveKnobs>,
    pub stats: Stats,
    client: HttpClient,
    /// Where the requests go.
    pub target: Target,
    /// The target's path and query, which the closed and open loops ask
    /// for every time; `None` for the embedded site, whose pages they ask
    /// for at random.
    fixed_path: Option<Uri>,
    /// The Host header of the closed loop's requests, made once.
    pub host: HeaderValue,
    /// For an https:// target: the closed loop's handshakes.
    tls: Option<(TlsConnector, ServerName<'static>)>,
    pub open_files_limit: Option<u64>,
}

impl Shared {
    /// A client of `target`, its pool on the runtime of `handle`; of the
    /// embedded site's random pages if `site`, else of the target's path.
    pub(super) fn new(
        handle: &Handle,
        knobs: Arc<LiveKnobs>,
        target: Target,
        site: bool,
    ) -> std::io::Result<Self> {
        let invalid = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, what);
        let authority = target.authority();
        let host = HeaderValue::from_str(authority)
            .map_err(|_| invalid(format!("{authority:?} is not a host name")))?;
        let fixed_path = match site {
            true => None,
            false => {
                Some(Uri::try_from(target.path_and_query()).map_err(|e| invalid(e.to_string()))?)
            }
        };
        let config = tls::client_config(&target)?;
        let tls = match target.is_https() {
            true => {
                tls::check_handshake(&target, config.clone())?;
                Some((
                    TlsConnector::from(config.clone()),
                    tls::server_name(&target)?,
                ))
            }
            false => None,
        };
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config((*config).clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        // The pool's connection tasks run on the observed runtime too.
        let _entered = handle.enter();
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(usize::MAX)
            .build(connector);
        Ok(Self {
            knobs,
            stats: Stats::default(),
            client,
            target,
            fixed_path,
            host,
            tls,
            // Each requester holds two descriptors (client and site).
            open_files_limit: crate::limits::raise_open_files(),
        })
    }

    /// Where requests go, as shown: the whole URL of a target, the
    /// embedded site's address.
    pub(super) fn shown_target(&self) -> String {
        match self.fixed_path {
            Some(_) => self.target.to_string(),
            None => self.target.origin(),
        }
    }

    pub(super) fn timeout(&self) -> Duration {
        Duration::from_micros(self.knobs.get(TIMEOUT))
    }

    pub(super) fn max_body(&self) -> usize {
        usize::try_from(self.knobs.get(MAX_BODY)).unwrap_or(usize::MAX)
    }

    /// The path (and query) the next request asks for: the target's, or
    /// one of the embedded site's pages at random.
    pub(super) fn next_path(&self) -> Result<Uri, InvalidUri> {
        match &self.fixed_path {
            Some(path) => Ok(path.clone()),
            None => Uri::try_from(site::path_of(fastrand::u64(
                0..self.knobs.get(PAGES).max(1),
            ))),
        }
    }

    /// The whole URL of `path` on the target.
    pub(super) fn url_of(&self, path: &Uri) -> Result<Uri, InvalidUri> {
        Uri::try_from(format!("{}{path}", self.target.origin()))
    }

    /// Opens a connection of the closed loop's own to the target: TCP, and
    /// TLS over it for https://.
    pub(super) async fn connect(&self) -> Result<Stream, ConnectError> {
        let target = &self.target;
        let tcp = TcpStream::connect((target.host(), target.port()))
            .await
            .map_err(ConnectError)?;
        tcp.set_nodelay(true).map_err(ConnectError)?;
        let stream = match &self.tls {
            None => Either::Left(tcp),
            Some((connector, name)) => {
                let tls = connector.connect(name.clone(), tcp).await;
                Either::Right(tls.map_err(ConnectError)?)
            }
        };
        Ok(TokioIo::new(stream))
    }

    /// GETs `url` through the shared pool; see `exchange`.
    pub(super) async fn fetch(&self, uri: Result<Uri, InvalidUri>, since: Instant) -> Outcome {
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
    fn endless_server() -> crate::workload::requests::Target {
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
        crate::workload::requests::Target::parse(&format!("http://{addr}/")).unwrap()
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
