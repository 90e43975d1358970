//! The crawl: breadth-first from the root, on the shared pool, following
//! the links of each page fetched.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::backoff::Backoff;
use super::client::Shared;
use super::knobs::*;
use super::site;

/// Crawls, one after another, until cancelled; after a crawl that got no
/// page, waits before the next.
pub(super) async fn crawler(shared: Arc<Shared>, cancel: CancellationToken) {
    let mut backoff = Backoff::default();
    tokio::select! {
        _ = cancel.cancelled() => {}
        _ = async {
            loop {
                let before = shared.stats.pages_crawled.load(Ordering::Relaxed);
                crawl(&shared).await;
                if shared.stats.pages_crawled.load(Ordering::Relaxed) == before {
                    backoff.wait(&shared.stats).await;
                } else {
                    backoff.reset();
                }
            }
        } => {}
    }
}

/// One breadth-first crawl from the root, to the depth knob, with at most
/// `concurrency` fetches at once (a semaphore) and no page fetched twice.
async fn crawl(shared: &Arc<Shared>) {
    let permits = Arc::new(Semaphore::new(shared.knobs.get(CONCURRENCY) as usize));
    let depth = shared.knobs.get(DEPTH);
    let mut visited: HashSet<String> = HashSet::from(["/".to_string()]);
    let mut frontier: VecDeque<(String, u64)> = VecDeque::from([("/".to_string(), 0)]);
    let mut fetches = JoinSet::new();
    let mut fetched = 0;
    loop {
        while let Some((path, at)) = frontier.pop_front() {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let shared = shared.clone();
            fetched += 1;
            fetches.spawn(Box::pin(async move {
                let body = shared.fetch(&path, Instant::now()).await.body();
                drop(permit);
                (body, at)
            }));
        }
        let Some(done) = fetches.join_next().await else {
            break;
        };
        let Ok((Some(body), at)) = done else {
            continue;
        };
        shared.stats.pages_crawled.fetch_add(1, Ordering::Relaxed);
        let html = String::from_utf8_lossy(&body);
        for href in site::hrefs(&html) {
            shared.stats.links_found.fetch_add(1, Ordering::Relaxed);
            // Same site only, and within the depth.
            if href.starts_with('/') && at < depth && visited.insert(href.to_string()) {
                frontier.push_back((href.to_string(), at + 1));
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
}
