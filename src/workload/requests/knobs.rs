//! The request workload's knobs: the client's (mode, concurrency, rate,
//! timeout, crawl depth) and the embedded site's.

use crate::workload::knob::{Choice, KnobSpec, Step, Unit};

pub const MODE: usize = 0;
pub const CONCURRENCY: usize = 1;
pub const RATE: usize = 2;
pub const TIMEOUT: usize = 3;
pub const DEPTH: usize = 4;
pub const SERVER_LATENCY: usize = 5;
pub const SERVER_JITTER: usize = 6;
pub const ERROR_RATE: usize = 7;
pub const PAGE_SIZE: usize = 8;
pub const LINKS: usize = 9;
pub const PAGES: usize = 10;
pub const MAX_BODY: usize = 11;

/// How the client sends its requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Concurrent requesters, each sending its next request when its last
    /// one is answered.
    #[default]
    Closed,
    /// Requests at a rate, whatever the answers do.
    Open,
    /// A breadth-first crawl of the site's links.
    Crawl,
}

impl Choice for Mode {
    const ALL: &'static [Self] = &[Self::Closed, Self::Open, Self::Crawl];
    const NAMES: &'static [&'static str] = &["closed", "open", "crawl"];
}

const fn count(id: &'static str, label: &'static str, max: u64, default: u64) -> KnobSpec {
    KnobSpec {
        id,
        label,
        range: 1..=max,
        unit: Unit::Count,
        step: Step::Ladder { first: 1 },
        default,
    }
}

pub static REQUEST_KNOBS: [KnobSpec; 12] = [
    KnobSpec {
        id: "mode",
        label: "mode",
        range: 0..=2,
        unit: Unit::Choice(Mode::NAMES),
        step: Step::Linear { by: 1 },
        default: 0,
    },
    count("concurrency", "concurrency", 10_000, 16),
    count("rate", "rate (open)", 1_000_000, 500),
    KnobSpec {
        range: 1_000..=60_000_000,
        ..KnobSpec::duration("timeout", "timeout", 1_000_000)
    },
    // Short ranges: counted one by one, not on the 1-2-5 ladder, so 3 and
    // 4 (the default) can be reached.
    KnobSpec {
        step: Step::Linear { by: 1 },
        ..count("depth", "crawl depth", 20, 4)
    },
    KnobSpec::duration("server_latency", "site latency", 2_000),
    KnobSpec::duration("server_jitter", "site jitter", 2_000),
    KnobSpec {
        id: "error_rate",
        label: "site errors",
        range: 0..=100,
        unit: Unit::Percent,
        step: Step::Linear { by: 1 },
        default: 1,
    },
    KnobSpec {
        range: 64..=1_000_000,
        ..count("page_size", "page bytes", 1_000_000, 2_000)
    },
    KnobSpec {
        range: 0..=50,
        step: Step::Linear { by: 1 },
        ..count("links", "links/page", 50, 5)
    },
    count("pages", "site pages", 100_000, 1_000),
    // Bodies are read up to this, then given up as too large: a server
    // that sends without end must not fill the memory. Well above the
    // embedded site's largest page (1,000,000 bytes).
    KnobSpec {
        range: 1_024..=1_073_741_824,
        ..count("max_body", "max body B", 1_073_741_824, 4 * 1024 * 1024)
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_counts_step_by_one_and_wide_ones_walk_the_ladder() {
        let depth = &REQUEST_KNOBS[DEPTH];
        assert_eq!((depth.step_down(4, false), depth.step_up(3, false)), (3, 4));
        assert_eq!(depth.step_up(4, true), 14);
        let links = &REQUEST_KNOBS[LINKS];
        assert_eq!((links.step_down(5, false), links.step_up(5, true)), (4, 15));
        let concurrency = &REQUEST_KNOBS[CONCURRENCY];
        assert_eq!(concurrency.step_up(16, false), 20);
        assert_eq!(concurrency.step_up(16, true), 160);
    }
}
