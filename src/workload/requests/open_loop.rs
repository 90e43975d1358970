//! The open loop: requests at a rate, on the shared pool.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::client::Shared;
use super::knobs::*;

/// Requests in flight beyond which the open loop sheds load rather than
/// grow without bound.
const MAX_IN_FLIGHT: u64 = 10_000;

/// Open loop: requests at their scheduled times whatever happens to the
/// ones before; a late start is latency, not a lower rate.
pub(super) async fn open_loop(shared: Arc<Shared>, cancel: CancellationToken) {
    let mut next = Instant::now();
    loop {
        let rate = shared.knobs.get(RATE).max(1);
        next += Duration::from_secs(1) / rate as u32;
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep_until(next.into()) => {}
        }
        if shared.stats.in_flight.load(Ordering::Relaxed) >= MAX_IN_FLIGHT {
            // Given up when due: its latency is how late that was.
            shared.stats.latency.record(next.elapsed());
            shared.stats.shed.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let (request, scheduled) = (shared.clone(), next);
        let url = shared.next_path().and_then(|path| shared.url_of(&path));
        // Boxed: a request future is over a kilobyte, and the task holding
        // it would be twice that (see runtime::spawn_named).
        tokio::spawn(Box::pin(async move { request.fetch(url, scheduled).await }));
        // Catching up after a stall spawns many at once: let others run.
        tokio::task::coop::consume_budget().await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::workload::knob::Choice;
    use crate::workload::requests::knobs::*;
    use crate::workload::requests::test_support::{runtime, values};
    use crate::workload::requests::RequestsWorkload;

    #[test]
    fn in_the_open_loop_a_stalled_client_shows_as_latency() {
        // One worker, blocked for half a second: requests due meanwhile go
        // out late, and their latency counts from when they were due.
        let rt = runtime(1);
        let v = values(&[
            (MODE, Choice::knob(Mode::Open)),
            (RATE, 200),
            (SERVER_LATENCY, 1_000),
            (SERVER_JITTER, 0),
        ]);
        let mut w = RequestsWorkload::start(rt.handle(), &v, None).unwrap();
        std::thread::sleep(Duration::from_millis(500));
        let calm = w.take_latency();
        rt.spawn(async { std::thread::sleep(Duration::from_millis(500)) });
        std::thread::sleep(Duration::from_millis(1_000));
        let stalled = w.take_latency();
        assert!(calm.p99_us < 100_000.0, "{calm:?}");
        // 200/s for a second: about 200 requests, the 100 due during the
        // stall late by up to 500 ms, so a quarter of all at least 250 ms
        // late. Timed from when they were sent, only the one in flight
        // would show it.
        assert!(stalled.count >= 160, "none left out: {stalled:?}");
        assert!(
            stalled.p90_us >= 200_000.0 && stalled.max_us >= 400_000.0,
            "the stall shows in every request it delayed: {stalled:?}"
        );
    }
}
