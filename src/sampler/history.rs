//! The last N snapshots, oldest first, in a fixed-size ring: memory does not
//! grow with run time. A cursor can hide the newest (rewinding): every
//! reader then sees the history as it was at the cursor.

use std::collections::VecDeque;

use super::Snapshot;

/// Ten minutes at the default 250 ms tick, to rewind through; wider than
/// any chart.
pub const DEFAULT_LEN: usize = 2_400;

#[derive(Clone, Debug)]
pub struct History {
    snapshots: VecDeque<Snapshot>,
    len: usize,
    /// The newest snapshots hidden by the cursor: 0 is now.
    hidden: usize,
}

impl History {
    pub fn new(len: usize) -> Self {
        Self {
            snapshots: VecDeque::with_capacity(len.min(DEFAULT_LEN)),
            len: len.max(1),
            hidden: 0,
        }
    }

    pub fn push(&mut self, snapshot: Snapshot) {
        if self.snapshots.len() == self.len {
            self.snapshots.pop_front();
        }
        self.snapshots.push_back(snapshot);
    }

    /// The snapshot at the cursor.
    pub fn latest(&self) -> Option<&Snapshot> {
        let at = self.visible().checked_sub(1)?;
        self.snapshots.get(at)
    }

    /// The `n` snapshots up to the cursor, oldest first.
    pub fn last(&self, n: usize) -> impl Iterator<Item = &Snapshot> {
        let end = self.visible();
        self.snapshots.iter().take(end).skip(end.saturating_sub(n))
    }

    /// Snapshots up to the cursor.
    pub fn len(&self) -> usize {
        self.visible()
    }

    pub fn is_empty(&self) -> bool {
        self.visible() == 0
    }

    pub fn clear(&mut self) {
        self.snapshots.clear();
        self.hidden = 0;
    }

    /// Every snapshot held, the hidden too, oldest first.
    pub fn all(&self) -> impl DoubleEndedIterator<Item = &Snapshot> + ExactSizeIterator {
        self.snapshots.iter()
    }

    /// The cursor, as a position among `all()`.
    pub fn cursor(&self) -> usize {
        self.visible().saturating_sub(1)
    }

    /// Moves the cursor to position `at` among `all()` (the newest at most).
    pub fn set_cursor(&mut self, at: usize) {
        let newest = self.snapshots.len().saturating_sub(1);
        self.hidden = newest - at.min(newest);
    }

    /// Whether the cursor is on the newest snapshot.
    pub fn at_newest(&self) -> bool {
        self.hidden == 0
    }

    /// Seconds from the cursor's snapshot to the newest: the ticks after
    /// it, as measured.
    pub fn behind_s(&self) -> f64 {
        self.snapshots
            .iter()
            .skip(self.visible())
            .map(|s| s.interval_s)
            .sum()
    }

    fn visible(&self) -> usize {
        self.snapshots.len().saturating_sub(self.hidden)
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

    #[test]
    fn the_cursor_hides_the_newest_from_every_reader() {
        let mut h = History::new(10);
        for t in 1..=6 {
            h.push(Snapshot {
                interval_s: 0.25,
                ..snap(t)
            });
        }
        h.set_cursor(3);
        assert_eq!(h.latest().unwrap().tick, 4);
        let ticks: Vec<u64> = h.last(2).map(|s| s.tick).collect();
        assert_eq!(ticks, vec![3, 4]);
        assert_eq!((h.len(), h.cursor(), h.behind_s()), (4, 3, 0.5));
        assert!(!h.at_newest());
        h.set_cursor(99);
        assert_eq!((h.latest().unwrap().tick, h.behind_s()), (6, 0.0));
    }
}
