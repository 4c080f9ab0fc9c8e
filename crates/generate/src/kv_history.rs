//! Which tokens the engine's KV cache holds, so a new turn prefills only what is new: the next
//! prompt usually starts with the previous prompt and answer.

/// The tokens run through the model, in order (the KV cache's contents, the positions
/// `0..len`). Keep it in step with the engine: [`KvHistory::extend`] with every token run,
/// [`KvHistory::clear`] on reset or after a failed step (the contents are then unknown).
#[derive(Clone, Debug, Default)]
pub struct KvHistory {
    tokens: Vec<u32>,
}

impl KvHistory {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn tokens(&self) -> &[u32] {
        &self.tokens
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    pub fn extend(&mut self, ran: &[u32]) {
        self.tokens.extend_from_slice(ran);
    }

    pub fn clear(&mut self) {
        self.tokens.clear();
    }

    /// How many leading tokens of `prompt` the cache already holds and can keep, given the
    /// engine's `position` and ring `capacity`; then rewind the engine to it and call
    /// [`KvHistory::truncate`] with it, and run `prompt[reused..]`.
    ///
    /// At least one prompt token is always run again (its logits give the first answer token).
    /// Going back is only possible while the ring has not wrapped (older slots would have been
    /// overwritten otherwise); a history out of step with the engine's position reuses nothing.
    pub fn reusable(&self, prompt: &[u32], position: usize, capacity: usize) -> usize {
        if self.tokens.len() != position {
            return 0;
        }
        let common = self
            .tokens
            .iter()
            .zip(prompt)
            .take_while(|(a, b)| a == b)
            .count()
            .min(prompt.len().saturating_sub(1));
        if common == position || position <= capacity {
            common
        } else {
            0
        }
    }

    /// Forgets the tokens from `len` on (after the engine rewound to `len`).
    pub fn truncate(&mut self, len: usize) {
        self.tokens.truncate(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(t: &[u32]) -> KvHistory {
        let mut h = KvHistory::new();
        h.extend(t);
        h
    }

    #[test]
    fn a_new_turn_reuses_the_shared_prefix() {
        let h = history(&[1, 2, 3, 4]);
        // The next prompt extends the history: all of it is reused.
        assert_eq!(h.reusable(&[1, 2, 3, 4, 5, 6], 4, 100), 4);
        // It differs at index 2: go back there.
        assert_eq!(h.reusable(&[1, 2, 9, 9], 4, 100), 2);
        // The same prompt again: its last token is run again for fresh logits.
        assert_eq!(h.reusable(&[1, 2, 3, 4], 4, 100), 3);
        // Out of step with the engine (a raw logits call ran in between): nothing.
        assert_eq!(h.reusable(&[1, 2, 3, 4, 5], 5, 100), 0);
    }

    #[test]
    fn a_wrapped_ring_reuses_only_a_pure_continuation() {
        let h = history(&[1, 2, 3, 4, 5, 6]);
        assert_eq!(h.reusable(&[1, 2, 3, 4, 5, 6, 7], 6, 4), 6);
        assert_eq!(h.reusable(&[1, 2, 3, 9], 6, 4), 0);
    }
}
