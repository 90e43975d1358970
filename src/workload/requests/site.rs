//! The embedded site's pages: a deterministic graph of generated HTML, so a
//! crawl's result is known in advance and tests can check it.

/// The pages page `n` links to, in a site of `pages` pages with `links`
/// links a page. Page n links to n·links + 1 … n·links + links (a tree
/// rooted at page 0) folded back into the site, so deep pages link to
/// pages seen before: a crawler must remember where it has been.
pub fn links_of(n: u64, pages: u64, links: u64) -> impl Iterator<Item = u64> {
    let pages = pages.max(1);
    (1..=links).map(move |i| (n * links + i) % pages)
}

pub fn path_of(n: u64) -> String {
    if n == 0 {
        "/".to_string()
    } else {
        format!("/page/{n}")
    }
}

/// The page a path names, if it is one of the site's.
pub fn page_of(path: &str, pages: u64) -> Option<u64> {
    let n = match path {
        "/" => 0,
        _ => path.strip_prefix("/page/")?.parse().ok()?,
    };
    (n < pages).then_some(n)
}

/// Page `n` as HTML: its links, padded with text to about `size` bytes.
pub fn render(n: u64, pages: u64, links: u64, size: usize) -> String {
    let mut html = format!("<!doctype html><html><head><title>page {n}</title></head><body>\n");
    for to in links_of(n, pages, links) {
        html.push_str(&format!("<a href=\"{}\">page {to}</a>\n", path_of(to)));
    }
    let filler = "All work and no play makes a dull page. ";
    while html.len() + filler.len() + 16 <= size {
        html.push_str(filler);
    }
    html.push_str("\n</body></html>\n");
    html
}

/// The href targets of `<a href="...">` in a page, in order.
pub fn hrefs(html: &str) -> Vec<&str> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_link_within_the_site_and_parse_back() {
        let html = render(3, 100, 4, 2_000);
        assert!(html.len() >= 1_900 && html.len() <= 2_100, "{}", html.len());
        let found: Vec<u64> = hrefs(&html)
            .iter()
            .filter_map(|h| page_of(h, 100))
            .collect();
        assert_eq!(found, vec![13, 14, 15, 16]);
        assert_eq!(page_of("/", 100), Some(0));
        assert_eq!(page_of("/page/100", 100), None);
        assert_eq!(page_of("/elsewhere", 100), None);
    }

    #[test]
    fn every_page_is_reachable_from_the_root() {
        let (pages, links) = (50, 3);
        let mut seen = vec![false; pages as usize];
        let mut frontier = vec![0];
        seen[0] = true;
        while let Some(n) = frontier.pop() {
            for to in links_of(n, pages, links) {
                if !seen[to as usize] {
                    seen[to as usize] = true;
                    frontier.push(to);
                }
            }
        }
        assert!(seen.iter().all(|&s| s));
    }
}
