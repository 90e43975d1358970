//! What watching a program costs it, side by side in one run: an HTTP
//! server like `examples/watched.rs` (hyper, on a 2-worker runtime) under a
//! closed loop of keep-alive clients on the same runtime, plain and with
//! `looptop::watch` (instrumented and serving), in alternating rounds:
//! requests a second; the watch's two threads' CPU (sampling and serving,
//! while an attacher asks for ticks every 250 ms); and the bytes a tick
//! takes on the wire.
//!
//! `cargo bench --bench watch`; `-- --seconds 5 --rounds 5 --clients 32`.

#[path = "support/args.rs"]
mod args;
#[path = "support/stats.rs"]
mod stats;

use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use stats::{median, range};
use tokio::net::TcpListener;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds = args::option(&args, "--seconds", 5);
    let rounds = args::option(&args, "--rounds", 5) as usize;
    let clients = args::option(&args, "--clients", 32);
    println!(
        "an HTTP server and {clients} keep-alive clients on 2 workers, plain and watched, \
         {rounds} alternating rounds of {seconds}s"
    );
    let (mut plain, mut watched, mut cpu, mut per_tick) = (vec![], vec![], vec![], vec![]);
    for round in 0..rounds {
        let watched_first = round % 2 == 0;
        for watch in [watched_first, !watched_first] {
            let run = serve_and_load(watch, clients, seconds);
            if watch {
                watched.push(run.rate);
                cpu.push(run.watch_cpu);
                per_tick.push(run.bytes_per_tick);
            } else {
                plain.push(run.rate);
            }
        }
        println!(
            "  round {}: plain {:>7.0} req/s, watched {:>7.0} req/s ({:.3})",
            round + 1,
            plain[round],
            watched[round],
            watched[round] / plain[round]
        );
    }
    let ratios: Vec<f64> = watched.iter().zip(&plain).map(|(w, p)| w / p).collect();
    let (lo, hi) = range(&ratios);
    println!(
        "  medians: plain {:.0} req/s, watched {:.0} req/s; watched / plain {:.3} (rounds {lo:.3}..{hi:.3})",
        median(&plain),
        median(&watched),
        median(&watched) / median(&plain),
    );
    println!(
        "  the watch's threads (sampling, serving): {:.4} cores; a tick on the wire: {:.0} bytes",
        median(&cpu),
        median(&per_tick)
    );
}

struct Run {
    rate: f64,
    watch_cpu: f64,
    bytes_per_tick: f64,
}

fn serve_and_load(watch: bool, clients: u64, seconds: u64) -> Run {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(2).enable_all();
    let watch = watch.then(|| looptop::watch::Watch::instrument(&mut builder, 2));
    let runtime = builder.build().unwrap();
    let serving = watch.map(|w| {
        w.serve(runtime.handle(), "127.0.0.1:0".parse().unwrap(), "bench")
            .unwrap()
    });
    let answered = Arc::new(AtomicU64::new(0));
    let site = runtime.block_on(async { start_site().await });
    for _ in 0..clients {
        runtime.spawn(client(site, answered.clone()));
    }
    std::thread::sleep(Duration::from_millis(500));
    let cpu_before = watch_threads_cpu();
    let (start, before) = (Instant::now(), answered.load(Ordering::Relaxed));
    // An attacher's asking, every tick, while the load runs.
    let mut after = 0;
    let (mut bytes, mut ticks) = (0, 0);
    while start.elapsed() < Duration::from_secs(seconds) {
        std::thread::sleep(Duration::from_millis(250));
        if let Some(serving) = &serving {
            let (body, last) = ticks_after(serving.addr(), after);
            bytes += body.len();
            ticks += body.lines().count();
            after = last;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let rate = (answered.load(Ordering::Relaxed) - before) as f64 / elapsed;
    let watch_cpu = (watch_threads_cpu() - cpu_before) / elapsed;
    drop(serving);
    runtime.shutdown_background();
    Run {
        rate,
        watch_cpu,
        bytes_per_tick: bytes as f64 / ticks.max(1) as f64,
    }
}

async fn start_site() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let service = service_fn(|_: Request<hyper::body::Incoming>| async {
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("ok\n"))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// One keep-alive connection, a request after another.
async fn client(site: SocketAddr, answered: Arc<AtomicU64>) {
    let stream = tokio::net::TcpStream::connect(site).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    loop {
        let request = Request::builder()
            .uri("/")
            .header("host", "site")
            .body(Empty::<Bytes>::new())
            .unwrap();
        let Ok(response) = sender.send_request(request).await else {
            return;
        };
        let _ = response.into_body().collect().await;
        answered.fetch_add(1, Ordering::Relaxed);
    }
}

/// The endpoint's ticks after `after`: the body and the last number.
fn ticks_after(addr: SocketAddr, after: u64) -> (String, u64) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET /looptop/v1/ticks?after={after} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let last = head
        .lines()
        .find_map(|l| l.strip_prefix("x-looptop-last: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(after);
    (body.to_string(), last)
}

/// CPU seconds of this process's looptop-watch and looptop-endpoint
/// threads, to the nanosecond (Linux: /proc/self/task/*/schedstat).
fn watch_threads_cpu() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    tasks
        .flatten()
        .filter(|task| {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            comm.starts_with("looptop-watch") || comm.starts_with("looptop-endpoin")
        })
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<f64>().ok())
        .map(|ns| ns / 1e9)
        .sum()
}
