//! The closed loop's requesters, and the keep-alive connection each keeps
//! to itself and drives itself (a `Link`).

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Empty;
use hyper::client::conn::http1;
use hyper::header::HOST;
use hyper::http::uri::InvalidUri;
use hyper::{Request, StatusCode, Uri};
use tokio::time::Sleep;
use tokio_util::sync::CancellationToken;

use super::backoff::Backoff;
use super::client::{read_capped, BoxError, Shared, Stream};
use super::stats::Outcome;

/// Closed loop: one request after another, as fast as answers come, each
/// requester on a keep-alive connection of its own which it drives itself,
/// as load generators do. The shared pool's checkout and a connection task
/// of its own add wake-ups to every request; the README's performance
/// section has what each cost in `benches/http.rs`.
pub(super) async fn requester(shared: Arc<Shared>, cancel: CancellationToken) {
    let mut link = None;
    // Made once: each would otherwise register anew for every request.
    let mut cancelled = pin!(cancel.cancelled());
    let mut deadline = pin!(tokio::time::sleep(Duration::ZERO));
    let mut backoff = Backoff::default();
    loop {
        let path = shared.next_path();
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

impl Shared {
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
                None => self.link().await?,
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

    /// Boxed: a connection's state is large, and it moves in and out of
    /// its requester's hands with every request.
    async fn link(&self) -> Result<Box<Link>, BoxError> {
        let (sender, connection) = http1::handshake(self.connect().await?).await?;
        Ok(Box::new(Link {
            sender,
            connection,
            closed: false,
        }))
    }
}

/// A keep-alive HTTP/1 connection and its sending half, driven by the task
/// that uses it rather than by a task of its own.
struct Link {
    sender: http1::SendRequest<Empty<Bytes>>,
    connection: http1::Connection<Stream, Empty<Bytes>>,
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

#[cfg(test)]
mod tests {
    use crate::workload::contract::Counted;
    use crate::workload::requests::knobs::*;
    use crate::workload::requests::test_support::{runtime, values, wait};
    use crate::workload::requests::RequestsWorkload;

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
    fn closing_server() -> crate::workload::requests::Target {
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
        crate::workload::requests::Target::parse(&format!("http://{addr}/")).unwrap()
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
}
