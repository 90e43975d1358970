//! A small tokio program watched by looptop: an HTTP server with a handler
//! that blocks its worker (`/report` sleeps with `std::thread::sleep`), a
//! client of its own that keeps it busy, and looptop's endpoint on ADDR.
//!
//! ```sh
//! cargo run --example watched -- 127.0.0.1:6670     # this program
//! cargo run --release -- attach 127.0.0.1:6670      # in another terminal
//! curl -s 127.0.0.1:6670/metrics                    # or Prometheus
//! ```
//!
//! It prints where it serves looptop's endpoint, then runs until stopped.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoint: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:6670".to_string())
        .parse()?;
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    let watch = looptop::watch::Watch::instrument(&mut builder, 2);
    let runtime = builder.build()?;
    let serving = watch.serve(runtime.handle(), endpoint, "watched")?;
    println!("looptop endpoint on {}", serving.addr());
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let site = listener.local_addr()?;
        tokio::spawn(client(site));
        loop {
            let (stream, _) = listener.accept().await?;
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(handle))
                    .await;
            });
        }
    })
}

/// `/report` blocks its worker for 200 ms (a synchronous call in async
/// code: the bug looptop names); anything else answers at once.
async fn handle(
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.uri().path() == "/report" {
        std::thread::sleep(Duration::from_millis(200));
        return Ok(Response::new(Full::new(Bytes::from("report\n"))));
    }
    Ok(Response::new(Full::new(Bytes::from("ok\n"))))
}

/// A hundred requests a second, and a report every two seconds.
async fn client(site: SocketAddr) {
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    for n in 0u64.. {
        tick.tick().await;
        let path = if n % 200 == 0 { "/report" } else { "/" };
        tokio::spawn(get(site, path));
    }
}

async fn get(site: SocketAddr, path: &str) {
    let Ok(mut stream) = TcpStream::connect(site).await else {
        return;
    };
    let request = format!("GET {path} HTTP/1.1\r\nhost: site\r\nconnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_ok() {
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
    }
}
