//! The window of recent tokens the penalties look at, with a count per token kept up to date as
//! tokens enter and leave (so a step costs O(distinct tokens), not O(window)).

use std::collections::{HashMap, VecDeque};

#[derive(Clone, Debug, Default)]
pub struct RecentTokens {
    capacity: usize,
    order: VecDeque<u32>,
    counts: HashMap<u32, u32>,
}

impl RecentTokens {
    pub fn new(capacity: usize) -> Self {
        RecentTokens {
            capacity,
            ..Default::default()
        }
    }

    pub fn push(&mut self, id: u32) {
        if self.capacity == 0 {
            return;
        }
        if self.order.len() == self.capacity {
            if let Some(old) = self.order.pop_front() {
                if let Some(c) = self.counts.get_mut(&old) {
                    *c -= 1;
                    if *c == 0 {
                        self.counts.remove(&old);
                    }
                }
            }
        }
        self.order.push_back(id);
        *self.counts.entry(id).or_insert(0) += 1;
    }

    /// How often `id` occurs in the window.
    pub fn count(&self, id: u32) -> u32 {
        self.counts.get(&id).copied().unwrap_or(0)
    }

    /// Distinct tokens in the window, with their counts.
    pub fn counts(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.counts.iter().map(|(&id, &c)| (id, c))
    }

    pub fn distinct(&self) -> usize {
        self.counts.len()
    }

    pub fn clear(&mut self) {
        self.order.clear();
        self.counts.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_the_window() {
        let mut r = RecentTokens::new(3);
        for id in [1, 2, 1, 3] {
            r.push(id);
        }
        // Window: [2, 1, 3] (the first 1 left).
        assert_eq!((r.count(1), r.count(2), r.count(3)), (1, 1, 1));
        r.push(3);
        r.push(3);
        assert_eq!((r.count(1), r.count(2), r.count(3)), (0, 0, 3));
        assert_eq!(r.distinct(), 1);
        let mut off = RecentTokens::new(0);
        off.push(1);
        assert_eq!(off.count(1), 0);
    }
}
