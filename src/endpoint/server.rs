//! The endpoint's HTTP/1.1 server: its own thread and runtime, a few
//! connections at a time, reads only.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::Semaphore;

use super::{lock, metrics, Published, PREFIX};

/// Connections served at once; more wait to be accepted.
const MAX_CONNECTIONS: usize = 64;

pub struct Server {
    pub addr: SocketAddr,
}

impl Server {
    pub fn start(addr: SocketAddr, published: Arc<Mutex<Published>>) -> Result<Self, String> {
        let listener = std::net::TcpListener::bind(addr)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| format!("cannot serve on {addr}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        std::thread::Builder::new()
            .name("looptop-endpoint".to_string())
            .spawn(move || runtime.block_on(serve(listener, published)))
            .map_err(|e| format!("cannot start the endpoint's thread: {e}"))?;
        Ok(Self { addr })
    }
}

async fn serve(listener: std::net::TcpListener, published: Arc<Mutex<Published>>) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let open = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = open.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of descriptors, say: wait rather than spin.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let published = published.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let published = published.clone();
                async move { Ok::<_, Infallible>(answer(&request, &published)) }
            });
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), service)
                .await;
            drop(permit);
        });
    }
}

fn answer(request: &Request<Incoming>, published: &Mutex<Published>) -> Response<Full<Bytes>> {
    if request.method() != Method::GET {
        return text(
            StatusCode::METHOD_NOT_ALLOWED,
            "looptop's endpoint serves reads only\n",
        );
    }
    let path = request.uri().path();
    let published = lock(published);
    match path.strip_prefix(PREFIX) {
        Some("/info") => match serde_json::to_string(&published.header) {
            Ok(json) => reply(StatusCode::OK, "application/json", json),
            Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        },
        Some("/ticks") => {
            let after = request
                .uri()
                .query()
                .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("after=")))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let (body, last) = published.after(after);
            let mut response = reply(StatusCode::OK, "application/x-ndjson", body);
            response.headers_mut().insert("x-looptop-last", last.into());
            response
        }
        _ if path == "/metrics" => reply(
            StatusCode::OK,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            metrics::render(&published.metrics, &published.header),
        ),
        _ => text(
            StatusCode::NOT_FOUND,
            "looptop's endpoint: /looptop/v1/info, /looptop/v1/ticks?after=N, /metrics\n",
        ),
    }
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    reply(status, "text/plain; charset=utf-8", body.to_string())
}

fn reply(status: StatusCode, kind: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        kind.parse().expect("a valid header"),
    );
    response
}
