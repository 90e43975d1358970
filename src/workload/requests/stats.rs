//! What the client counts: the shared counters, and how each request's end
//! is counted, exactly once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::LengthLimitError;
use hyper::StatusCode;

use super::client::{out_of_files, BoxError, ConnectError};
use crate::workload::latency::LatencyRecorder;

/// How a request ended, as counted (finer than its `Outcome`, which is what
/// the task that sent it needs): each one sent ends in exactly one of these.
/// `Cancelled` comes last: it sizes the counters' array.
#[derive(Clone, Copy, Debug)]
pub(super) enum Ending {
    Ok,
    /// 3xx: counted, not followed (as wrk and oha do).
    Redirected,
    ClientError,
    ServerError,
    TimedOut,
    ConnectError,
    OtherError,
    TooLarge,
    Cancelled,
}

#[derive(Default)]
pub(super) struct Stats {
    pub sent: AtomicU64,
    pub in_flight: AtomicU64,
    /// How the requests sent ended, by `Ending`.
    ended: [AtomicU64; Ending::Cancelled as usize + 1],
    pub shed: AtomicU64,
    pub pages_crawled: AtomicU64,
    pub links_found: AtomicU64,
    pub crawls: AtomicU64,
    pub last_crawl_fetches: AtomicU64,
    pub last_crawl_pages: AtomicU64,
    /// Failures for want of a file descriptor, client side.
    pub out_of_files: AtomicU64,
    /// Requesters waiting before they try again after a failure.
    pub backing_off: AtomicU64,
    pub latency: LatencyRecorder,
}

impl Stats {
    /// Requests that ended so.
    pub(super) fn ended(&self, ending: Ending) -> u64 {
        self.ended[ending as usize].load(Ordering::Relaxed)
    }

    fn end(&self, ending: Ending) {
        self.ended[ending as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts how an exchange ended (`answer`: `None` if it timed out) and
    /// its latency, which runs from `since` (the scheduled send time in the
    /// open loop) to the answer, or to the moment it was given up: a
    /// timed-out request counts at its timeout, or under overload the
    /// slowest would be left out of the percentiles.
    pub(super) fn count(
        &self,
        since: Instant,
        answer: Option<Result<(StatusCode, Bytes), BoxError>>,
    ) -> Outcome {
        let (ending, outcome) = match answer {
            None => {
                self.latency.record(since.elapsed());
                (Ending::TimedOut, Outcome::TimedOut)
            }
            Some(Err(e)) if e.is::<LengthLimitError>() => (Ending::TooLarge, Outcome::Failed),
            Some(Err(e)) => {
                let connect = e.is::<ConnectError>()
                    || e.downcast_ref::<hyper_util::client::legacy::Error>()
                        .is_some_and(|e| e.is_connect());
                if out_of_files(&*e) {
                    self.out_of_files.fetch_add(1, Ordering::Relaxed);
                }
                let ending = if connect {
                    Ending::ConnectError
                } else {
                    Ending::OtherError
                };
                (ending, Outcome::Failed)
            }
            Some(Ok((status, body))) => {
                self.latency.record(since.elapsed());
                let ending = if status.is_success() {
                    Ending::Ok
                } else if status.is_redirection() {
                    Ending::Redirected
                } else if status.is_server_error() {
                    Ending::ServerError
                } else {
                    Ending::ClientError
                };
                let body = status.is_success().then_some(body);
                (ending, Outcome::Answered(body))
            }
        };
        self.end(ending);
        outcome
    }
}

/// How a request ended, for the task that sent it.
pub(super) enum Outcome {
    /// An answer came; its body if it was 2xx.
    Answered(Option<Bytes>),
    TimedOut,
    /// No answer: the connection could not be made or broke.
    Failed,
}

impl Outcome {
    pub(super) fn body(self) -> Option<Bytes> {
        match self {
            Outcome::Answered(body) => body,
            Outcome::TimedOut | Outcome::Failed => None,
        }
    }
}

/// A request from sent to answered. Dropped unanswered (its task aborted,
/// its future dropped), it counts as cancelled, so every request sent ends
/// up counted exactly once.
pub(super) struct InFlight<'a> {
    stats: &'a Stats,
    answered: bool,
}

impl<'a> InFlight<'a> {
    pub(super) fn enter(stats: &'a Stats) -> Self {
        stats.sent.fetch_add(1, Ordering::Relaxed);
        stats.in_flight.fetch_add(1, Ordering::Relaxed);
        Self {
            stats,
            answered: false,
        }
    }

    pub(super) fn answered(mut self) {
        self.answered = true;
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.stats.in_flight.fetch_sub(1, Ordering::Relaxed);
        if !self.answered {
            self.stats.end(Ending::Cancelled);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::workload::contract::Counted;
    use crate::workload::knob::Choice;
    use crate::workload::requests::knobs::*;
    use crate::workload::requests::test_support::{runtime, values, wait};
    use crate::workload::requests::RequestsWorkload;

    #[test]
    fn every_request_is_counted_once_and_errors_show_as_500s() {
        let rt = runtime(2);
        let v = values(&[(ERROR_RATE, 20), (SERVER_LATENCY, 0), (SERVER_JITTER, 0)]);
        let mut w = RequestsWorkload::start(rt.handle(), &v, None).unwrap();
        wait(&w, |c| c.sent > 2_000);
        w.set(CONCURRENCY, 1);
        w.set(MODE, Choice::knob(Mode::Open));
        w.set(RATE, 1);
        let c = wait(&w, |c| c.in_flight == 0);
        let ended = c.ok
            + c.redirects
            + c.client_errors
            + c.server_errors
            + c.timeouts
            + c.connect_errors
            + c.other_errors
            + c.too_large
            + c.cancelled;
        assert_eq!(c.sent, ended + c.in_flight, "{c:?}");
        let share = c.server_errors as f64 / c.sent as f64;
        assert!(
            (0.15..=0.25).contains(&share),
            "20% errors, saw {share}: {c:?}"
        );
        // The site saw each request once (give or take the open loop's next).
        let hits = w.site_hits().unwrap();
        assert!(
            hits <= c.sent + 1 && hits + c.cancelled >= c.sent,
            "{hits} hits: {c:?}"
        );
    }

    #[test]
    fn the_site_latency_sets_the_median_and_a_short_timeout_fires() {
        let rt = runtime(2);
        let v = values(&[
            (SERVER_LATENCY, 50_000),
            (SERVER_JITTER, 0),
            (ERROR_RATE, 0),
        ]);
        let mut w = RequestsWorkload::start(rt.handle(), &v, None).unwrap();
        std::thread::sleep(Duration::from_millis(600));
        let c = w.counters();
        let latency = w.take_latency();
        assert!(latency.p50_us >= 50_000.0, "{latency:?}");
        assert_eq!(c.timeouts, 0);

        let v = values(&[
            (SERVER_LATENCY, 200_000),
            (TIMEOUT, 50_000),
            (ERROR_RATE, 0),
        ]);
        let mut w = RequestsWorkload::start(rt.handle(), &v, None).unwrap();
        let c = wait(&w, |c| c.timeouts >= 32);
        assert!(c.timeouts >= 32 && c.ok == 0, "{c:?}");
        let latency = w.take_latency();
        assert!(
            latency.count >= 32 && latency.p50_us >= 50_000.0,
            "timed-out requests count at their timeout: {latency:?}"
        );
    }
}
