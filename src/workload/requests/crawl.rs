//! The crawl: breadth-first from the target's page (the embedded site's
//! root), on the shared pool, following the links of each page fetched
//! that stay on the same site.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use hyper::Uri;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::backoff::Backoff;
use super::client::Shared;
use super::knobs::*;
use super::site;

/// Pages one crawl visits at most: its memory stays bounded on any site.
const MAX_PAGES: usize = 100_000;

/// Crawls, one after another, until cancelled; after a crawl that got no
/// page, waits before the next.
pub(super) async fn crawler(shared: Arc<Shared>, cancel: CancellationToken) {
    let mut backoff = Backoff::default();
    let Ok(start) = Url::parse(&shared.target.to_string()) else {
        return;
    };
    tokio::select! {
        _ = cancel.cancelled() => {}
        _ = async {
            loop {
                let before = shared.stats.pages_crawled.load(Ordering::Relaxed);
                crawl(&shared, &start).await;
                if shared.stats.pages_crawled.load(Ordering::Relaxed) == before {
                    backoff.wait(&shared.stats).await;
                } else {
                    backoff.reset();
                }
            }
        } => {}
    }
}

/// One breadth-first crawl from `start`, to the depth knob, with at most
/// `concurrency` fetches at once (a semaphore) and no page fetched twice.
async fn crawl(shared: &Arc<Shared>, start: &Url) {
    let permits = Arc::new(Semaphore::new(shared.knobs.get(CONCURRENCY) as usize));
    let depth = shared.knobs.get(DEPTH);
    let mut visited: HashSet<Url> = HashSet::from([start.clone()]);
    let mut frontier: VecDeque<(Url, u64)> = VecDeque::from([(start.clone(), 0)]);
    let mut fetches = JoinSet::new();
    let mut fetched = 0;
    loop {
        while let Some((page, at)) = frontier.pop_front() {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let shared = shared.clone();
            fetched += 1;
            fetches.spawn(Box::pin(async move {
                let uri = Uri::try_from(page.as_str());
                let body = shared.fetch(uri, Instant::now()).await.body();
                drop(permit);
                (body, page, at)
            }));
        }
        let Some(done) = fetches.join_next().await else {
            break;
        };
        // A fetch cancelled (the runtime shutting down) or panicked: the
        // crawl is not whole, and is not counted as one.
        let Ok(done) = done else {
            return;
        };
        let (Some(body), page, at) = done else {
            continue;
        };
        shared.stats.pages_crawled.fetch_add(1, Ordering::Relaxed);
        let html = String::from_utf8_lossy(&body);
        for href in site::hrefs(&html) {
            shared.stats.links_found.fetch_add(1, Ordering::Relaxed);
            let Some(link) = same_site(start, &page, href) else {
                continue;
            };
            // A site of the user's may be far larger than the embedded one.
            let room = visited.len() < MAX_PAGES;
            if at < depth && room && visited.insert(link.clone()) {
                frontier.push_back((link, at + 1));
            }
        }
    }
    let stats = &shared.stats;
    stats.last_crawl_fetches.store(fetched, Ordering::Relaxed);
    stats
        .last_crawl_pages
        .store(visited.len() as u64, Ordering::Relaxed);
    stats.crawls.fetch_add(1, Ordering::Relaxed);
}

/// Where `href` on `page` leads, if it stays on `start`'s site (scheme,
/// host and port), without its fragment: `#top` on a page is that page.
fn same_site(start: &Url, page: &Url, href: &str) -> Option<Url> {
    let mut link = page.join(href).ok()?;
    link.set_fragment(None);
    (link.origin() == start.origin()).then_some(link)
}

#[cfg(test)]
mod tests {
    use crate::workload::requests::knobs::*;
    use crate::workload::requests::test_support::{runtime, values, wait};
    use crate::workload::requests::RequestsWorkload;

    #[test]
    fn a_crawl_fetches_every_page_of_a_small_site_exactly_once() {
        let rt = runtime(2);
        let v = values(&[
            (MODE, 2),
            (PAGES, 40),
            (LINKS, 3),
            (DEPTH, 20),
            (ERROR_RATE, 0),
            (SERVER_LATENCY, 1_000),
        ]);
        let w = RequestsWorkload::start(rt.handle(), &v, None).unwrap();
        let c = wait(&w, |c| c.crawls >= 1);
        assert!(c.crawls >= 1, "{c:?}");
        assert_eq!(
            (c.last_crawl_pages, c.last_crawl_fetches),
            (40, 40),
            "{c:?}"
        );
        assert!(c.links_found >= 40 * 3, "{c:?}");
    }

    #[test]
    fn links_are_followed_relative_to_their_page_and_only_on_the_same_site() {
        use super::same_site;
        let start = url::Url::parse("http://127.0.0.1:8080/docs/index.html").unwrap();
        let page = url::Url::parse("http://127.0.0.1:8080/docs/a/b.html").unwrap();
        let link = |href| same_site(&start, &page, href).map(|u| u.to_string());
        for (href, expected) in [
            ("c.html", "http://127.0.0.1:8080/docs/a/c.html"),
            (
                "../d.html?x=1#part",
                "http://127.0.0.1:8080/docs/d.html?x=1",
            ),
            ("/e.html", "http://127.0.0.1:8080/e.html"),
            ("http://127.0.0.1:8080/f", "http://127.0.0.1:8080/f"),
            ("#top", "http://127.0.0.1:8080/docs/a/b.html"),
        ] {
            assert_eq!(link(href).as_deref(), Some(expected), "{href}");
        }
        for elsewhere in [
            "http://127.0.0.1:8081/",
            "https://127.0.0.1:8080/",
            "//example.com/",
            "mailto:someone@example.com",
        ] {
            assert_eq!(link(elsewhere), None, "{elsewhere}");
        }
    }
}
