//! The requests workload against a real server: nginx on loopback, over
//! HTTP and HTTPS, its access log the witness of what was asked for.

#[path = "support/nginx.rs"]
mod nginx;
#[path = "support/run.rs"]
mod run;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use looptop::workload::contract::Counted;
use looptop::workload::knob::{defaults, Choice};
use looptop::workload::requests::knobs::*;
use looptop::workload::requests::{RequestCounters, RequestsWorkload, Target};
use nginx::Nginx;

/// Runs the client against `target` in `mode` until `enough`, then ends
/// every request (the runtime shut down: each is answered or cancelled):
/// its counters then.
fn client(
    target: Target,
    mode: Mode,
    enough: impl Fn(&RequestCounters) -> bool,
) -> RequestCounters {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut values = defaults(&REQUEST_KNOBS);
    values[MODE] = mode.knob();
    values[CONCURRENCY] = 8;
    values[DEPTH] = 10;
    // No loopback request takes this long, so none is given up.
    values[TIMEOUT] = 10_000_000;
    let workload = RequestsWorkload::start(rt.handle(), &values, Some(&target)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !enough(&workload.counters()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let running = workload.counters();
    rt.shutdown_timeout(Duration::from_secs(1));
    let mut counters = workload.counters();
    assert!(enough(&counters), "not reached in 20 s: {counters:?}");
    // A request the shutdown cut off may end as an error (the pool's
    // connection task dropped before it) rather than as cancelled: it is
    // one of the requests the shutdown ended, and counted with them.
    let cut = (counters.other_errors - running.other_errors)
        + (counters.connect_errors - running.connect_errors);
    counters.other_errors = running.other_errors;
    counters.connect_errors = running.connect_errors;
    counters.cancelled += cut;
    counters
}

/// The requests section of the last tick of a second's headless run
/// against `url`.
fn headless_requests(url: &str, more: &[&str]) -> serde_json::Value {
    let args = [
        &[
            "--duration",
            "1s",
            "--scenario",
            "requests",
            "--target",
            url,
        ],
        more,
    ]
    .concat();
    let ticks = run::json_lines(&args);
    ticks.last().unwrap()["requests"].clone()
}

fn no_errors(c: &RequestCounters) {
    let errors = [
        c.client_errors,
        c.server_errors,
        c.timeouts,
        c.connect_errors,
        c.other_errors,
        c.too_large,
    ];
    assert_eq!(errors, [0; 6], "{c:?}");
}

#[test]
fn the_closed_and_open_loops_ask_for_the_target_page_and_agree_with_the_access_log() {
    let Some(nginx) = Nginx::start(false) else {
        return;
    };
    let url = nginx.url("docs/c.html?from=looptop");
    let mut logged = 0;
    for mode in [Mode::Closed, Mode::Open] {
        let c = client(Target::parse(&url).unwrap(), mode, |c| c.ok >= 400);
        no_errors(&c);
        let log = nginx.requests();
        let this_run = &log[logged..];
        logged = log.len();
        // Every request for the page given, answered 200, or 499 where the
        // client went away first (cancelled at the end).
        for (request, status) in this_run {
            assert_eq!(request, "GET /docs/c.html?from=looptop", "{mode:?}");
            assert!([200, 499].contains(status), "{mode:?}: {status}");
        }
        // nginx logged each answer the client counted; a request cancelled
        // at the end may have been answered too, but no more than that.
        let answered = this_run.iter().filter(|(_, s)| *s == 200).count() as u64;
        assert!(
            c.ok <= answered && answered <= c.ok + c.cancelled,
            "{mode:?}: nginx answered {answered}: {c:?}"
        );
        assert!(this_run.len() as u64 <= c.sent, "{mode:?}: {c:?}");
    }
}

#[test]
fn a_redirect_is_counted_as_one_not_as_a_client_error() {
    let Some(nginx) = Nginx::start(false) else {
        return;
    };
    // A folder without its slash: nginx answers 301 to /docs/.
    let c = client(
        Target::parse(&nginx.url("docs")).unwrap(),
        Mode::Closed,
        |c| c.redirects >= 100,
    );
    no_errors(&c);
    assert_eq!(c.ok, 0, "redirects are not followed: {c:?}");
    let log = nginx.requests();
    let moved = log.iter().filter(|(_, status)| *status == 301).count() as u64;
    assert!(
        c.redirects <= moved && moved <= c.redirects + c.cancelled,
        "{moved}: {c:?}"
    );
}

#[test]
fn the_crawl_starts_at_the_target_and_visits_every_page_of_the_site_once() {
    let Some(nginx) = Nginx::start(false) else {
        return;
    };
    let start = Target::parse(&nginx.url("docs/index.html")).unwrap();
    let c = client(start, Mode::Crawl, |c| c.crawls >= 2);
    no_errors(&c);
    let pages = nginx::SITE.len() as u64;
    assert_eq!(
        (c.last_crawl_pages, c.last_crawl_fetches),
        (pages, pages),
        "{c:?}"
    );
    let log = nginx.requests();
    let visited: BTreeSet<&str> = log.iter().map(|(r, _)| r.as_str()).collect();
    let expected: BTreeSet<String> = nginx::SITE
        .iter()
        .map(|(path, _)| match *path {
            // Linked to only as ./sub/d.html?page=2.
            "docs/sub/d.html" => "GET /docs/sub/d.html?page=2".to_string(),
            path => format!("GET /{path}"),
        })
        .collect();
    let expected: BTreeSet<&str> = expected.iter().map(String::as_str).collect();
    assert_eq!(visited, expected);
    // Once a crawl: as many requests as crawls (begun) times pages.
    let crawls_begun = log.len() as u64 / pages;
    assert!(crawls_begun >= c.crawls, "{} requests: {c:?}", log.len());
}

#[test]
fn the_headless_run_names_the_whole_target_url() {
    let Some(nginx) = Nginx::start(false) else {
        return;
    };
    let url = nginx.url("docs/a.html?q=1");
    let r = &headless_requests(&url, &[]);
    assert_eq!(r["target"], url.as_str());
    assert!(r["ok"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(r["client_errors"], 0, "{r}");
}

#[test]
fn https_with_a_self_signed_certificate_works_with_insecure_and_is_refused_without() {
    let Some(nginx) = Nginx::start(true) else {
        return;
    };
    let url = nginx.url("docs/index.html");
    let r = &headless_requests(&url, &["--insecure"]);
    assert!(r["ok"].as_u64().unwrap() > 0, "{r}");
    for errors in ["client_errors", "connect_errors", "other_errors"] {
        assert_eq!(r[errors], 0, "{r}");
    }

    let out = run::looptop(&[
        "--headless",
        "--duration",
        "1s",
        "--scenario",
        "requests",
        "--target",
        &url,
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(out.stdout.is_empty(), "no tick before the refusal");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&url) && stderr.contains("certificate") && stderr.contains("--insecure"),
        "{stderr}"
    );

    // The crawl over TLS, on the shared pool's connections.
    let mut insecure = Target::parse(&url).unwrap();
    insecure.insecure = true;
    let c = client(insecure, Mode::Crawl, |c| c.crawls >= 1);
    no_errors(&c);
    assert_eq!(c.last_crawl_pages, nginx::SITE.len() as u64, "{c:?}");
}
