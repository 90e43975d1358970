//! What the request workload's unit tests share: a runtime, knob values,
//! and a bounded wait on the counters.

use std::time::{Duration, Instant};

use super::knobs::REQUEST_KNOBS;
use super::{RequestCounters, RequestsWorkload};
use crate::workload::contract::Counted;
use crate::workload::knob::defaults;

pub fn runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
}

pub fn values(changes: &[(usize, u64)]) -> Vec<u64> {
    let mut values = defaults(&REQUEST_KNOBS);
    for &(knob, value) in changes {
        values[knob] = value;
    }
    values
}

/// Waits for `done`, checking every 20 ms, up to 10 s.
pub fn wait(w: &RequestsWorkload, done: impl Fn(&RequestCounters) -> bool) -> RequestCounters {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let c = w.counters();
        if done(&c) || Instant::now() > deadline {
            return c;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An https:// target that answers every connection in plain HTTP, as a
/// server on the wrong port would: no TLS handshake can finish with it.
pub fn plain_text_as_tls() -> super::Target {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.read(&mut [0; 4096]);
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
        }
    });
    super::Target::parse(&format!("https://{addr}/")).unwrap()
}
