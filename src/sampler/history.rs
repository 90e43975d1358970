//! The last N snapshots, oldest first, in a fixed-size ring: memory does not
//! grow with run time.

use std::collections::VecDeque;

use super::Snapshot;

/// About two minutes at the default 250 ms tick; wider than any chart.
pub const DEFAULT_LEN: usize = 512;

#[derive(Clone, Debug)]
pub struct History {
    snapshots: VecDeque<Snapshot>,
    len: usize,
}

impl History {
    pub fn new(len: usize) -> Self {
        Self {
            snapshots: VecDeque::with_capacity(len),
            len: len.max(1),
        }
    }

    pub fn push(&mut self, snapshot: Snapshot) {
        if self.snapshots.len() == self.len {
            self.snapshots.pop_front();
        }
        self.snapshots.push_back(snapshot);
    }

    pub fn latest(&self) -> Option<&Snapshot> {
        self.snapshots.back()
    }

    /// The newest `n` snapshots, oldest first.
    pub fn last(&self, n: usize) -> impl Iterator<Item = &Snapshot> {
        self.snapshots
            .iter()
            .skip(self.snapshots.len().saturating_sub(n))
    }

    pub fn len(&self) -> usize {
        self.snapshots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.snapshots.is_empty()
    }

    pub fn clear(&mut self) {
        self.snapshots.clear();
    }
}

impl Default for History {
    fn default() -> Self {
        Self::new(DEFAULT_LEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(tick: u64) -> Snapshot {
        Snapshot {
            tick,
            ..Snapshot::default()
        }
    }

    #[test]
    fn keeps_only_the_newest_len_snapshots() {
        let mut h = History::new(3);
        for t in 1..=5 {
            h.push(snap(t));
        }
        assert_eq!(h.len(), 3);
        let ticks: Vec<u64> = h.last(10).map(|s| s.tick).collect();
        assert_eq!(ticks, vec![3, 4, 5]);
        let ticks: Vec<u64> = h.last(2).map(|s| s.tick).collect();
        assert_eq!(ticks, vec![4, 5]);
        assert_eq!(h.latest().unwrap().tick, 5);
    }
}
