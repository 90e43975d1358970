//! Sharing a terminal's rows among panes by what each needs: every pane gets
//! the rows that show its headline, then the rows its whole content needs,
//! and only then do charts get the rest. A pane never holds empty rows while
//! another is cut.

/// The rows a pane asks for, borders included; none by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Want {
    /// Fewer rows than this and the pane shows nothing worth its border.
    pub least: u16,
    /// Every line of its content.
    pub need: u16,
    /// A chart: the more rows, the more it shows.
    pub grows: bool,
}

impl Want {
    /// A pane of text: exactly its lines, and its first line at least.
    pub fn text(lines: usize, least_lines: usize) -> Want {
        let need = lines as u16 + 2;
        Want {
            least: (least_lines as u16 + 2).min(need),
            need,
            grows: false,
        }
    }

    pub fn growing(self) -> Want {
        Want {
            grows: true,
            ..self
        }
    }

    /// Panes side by side: the tallest sets the row's height.
    pub fn beside(wants: &[Want]) -> Want {
        Want {
            least: wants.iter().map(|w| w.least).max().unwrap_or(0),
            need: wants.iter().map(|w| w.need).max().unwrap_or(0),
            grows: wants.iter().any(|w| w.grows),
        }
    }

    /// Panes stacked: their rows add up.
    pub fn stacked(wants: &[Want]) -> Want {
        Want {
            least: wants.iter().map(|w| w.least).sum(),
            need: wants.iter().map(|w| w.need).sum(),
            grows: wants.iter().any(|w| w.grows),
        }
    }
}

/// Who gets rows toward their need first when not all can have them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// A row each in turn: a short terminal cuts every pane a little rather
    /// than one entirely.
    Evenly,
    /// The first pane its whole need, then the next: for bands that matter
    /// in the order given.
    First,
}

/// Splits `total` rows among `wants`, in three rounds: each its least (first
/// come first served when even that is too much), then toward its need in
/// `order`; what is left goes to the charts in turn, or, with no chart, to
/// the last pane so the borders still meet the edge.
pub fn allot(total: u16, wants: &[Want], order: Order) -> Vec<u16> {
    let mut rows = vec![0u16; wants.len()];
    let mut left = total;
    for (row, want) in rows.iter_mut().zip(wants) {
        *row = want.least.min(left);
        left -= *row;
    }
    match order {
        Order::Evenly => share(&mut rows, &mut left, |i, rows| rows[i] < wants[i].need),
        Order::First => {
            for (row, want) in rows.iter_mut().zip(wants) {
                let more = want.need.saturating_sub(*row).min(left);
                *row += more;
                left -= more;
            }
        }
    }
    if wants.iter().any(|w| w.grows) {
        share(&mut rows, &mut left, |i, _| wants[i].grows);
    } else if let Some(last) = rows.last_mut() {
        *last += left;
    }
    rows
}

/// Hands out `left` one row at a time, round the panes `takes` accepts.
fn share(rows: &mut [u16], left: &mut u16, takes: impl Fn(usize, &[u16]) -> bool) {
    while *left > 0 {
        let mut gave = false;
        for i in 0..rows.len() {
            if *left > 0 && takes(i, rows) {
                rows[i] += 1;
                *left -= 1;
                gave = true;
            }
        }
        if !gave {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(least: u16, need: u16) -> Want {
        Want {
            least,
            need,
            grows: false,
        }
    }

    #[test]
    fn content_first_then_charts_take_the_rest() {
        let wants = [text(3, 7), text(3, 5).growing(), text(5, 11)];
        assert_eq!(allot(40, &wants, Order::Evenly), vec![7, 22, 11]);
    }

    #[test]
    fn a_short_terminal_cuts_every_pane_a_little() {
        let wants = [text(3, 9), text(3, 9), text(3, 9)];
        // 9 rows past the least, in turn: 3 each.
        assert_eq!(allot(18, &wants, Order::Evenly), vec![6, 6, 6]);
        assert_eq!(allot(13, &wants, Order::Evenly), vec![5, 4, 4]);
    }

    #[test]
    fn in_order_the_first_pane_is_served_first() {
        let wants = [text(3, 9), text(3, 9), text(3, 9)];
        assert_eq!(allot(18, &wants, Order::First), vec![9, 6, 3]);
    }

    #[test]
    fn too_short_for_the_least_fills_from_the_top() {
        let wants = [text(3, 9), text(3, 9), text(3, 9)];
        assert_eq!(allot(7, &wants, Order::Evenly), vec![3, 3, 1]);
    }

    #[test]
    fn with_no_chart_the_last_pane_reaches_the_edge() {
        let wants = [text(3, 5), text(3, 5)];
        assert_eq!(allot(20, &wants, Order::Evenly), vec![5, 15]);
    }

    #[test]
    fn side_by_side_the_tallest_sets_the_height() {
        let row = Want::beside(&[text(3, 6), text(5, 11), text(5, 12).growing()]);
        assert_eq!(row, text(5, 12).growing());
        let column = Want::stacked(&[text(3, 6), text(5, 11)]);
        assert_eq!(column, text(8, 17));
    }

    #[test]
    fn a_text_pane_never_asks_less_than_it_needs() {
        assert_eq!(Want::text(1, 3), text(3, 3));
        assert_eq!(Want::text(9, 1), text(3, 11));
    }
}
