//! The stages that change logits before any filter: logit bias, then the penalties (llama.cpp's
//! repeat penalty, OpenAI's presence and frequency penalties) over the recent-token window.

use super::recent::RecentTokens;
use crate::params::SamplingParams;

/// One token's logit after bias and penalties. `count` is its occurrences in the window.
///
/// Repeat penalty (llama.cpp, CTRL paper): a positive logit is divided by it, a negative one
/// multiplied, so a penalty above 1 always makes the token less likely. Presence and frequency
/// (OpenAI): `logit - presence * [count > 0] - frequency * count`.
pub fn penalized(p: &SamplingParams, logit: f32, count: u32) -> f32 {
    if count == 0 {
        return logit;
    }
    let mut l = logit;
    if p.repetition_penalty != 1.0 {
        l = if l > 0.0 {
            l / p.repetition_penalty
        } else {
            l * p.repetition_penalty
        };
    }
    l - p.presence_penalty - p.frequency_penalty * count as f32
}

/// Applies bias and penalties to `cands` in place. When `by_id` is true, `cands[i]` is token `i`
/// (a full row), so only the biased and recent tokens are visited; otherwise every candidate is
/// looked up. NaN logits become -inf (never chosen, as the GPU top-k ranks them).
pub fn adjust(p: &SamplingParams, recent: &RecentTokens, cands: &mut [(u32, f32)], by_id: bool) {
    for c in cands.iter_mut() {
        if c.1.is_nan() {
            c.1 = f32::NEG_INFINITY;
        }
    }
    let penalties = p.has_penalties();
    if p.logit_bias.is_empty() && !penalties {
        return;
    }
    if by_id {
        for (&id, &bias) in &p.logit_bias {
            if let Some(c) = cands.get_mut(id as usize) {
                c.1 += bias;
            }
        }
        if penalties {
            for (id, count) in recent.counts() {
                if let Some(c) = cands.get_mut(id as usize) {
                    c.1 = penalized(p, c.1, count);
                }
            }
        }
    } else {
        for c in cands.iter_mut() {
            if let Some(bias) = p.logit_bias.get(&c.0) {
                c.1 += bias;
            }
            if penalties {
                c.1 = penalized(p, c.1, recent.count(c.0));
            }
        }
    }
}

/// How many tokens bias and penalties may make *less* likely, or None when one may become
/// *more* likely (a positive bias, a repeat penalty below 1, a negative presence/frequency
/// penalty): then only the full row gives the right candidates.
pub fn lowered_tokens(p: &SamplingParams, recent: &RecentTokens) -> Option<usize> {
    if p.logit_bias.values().any(|&b| b > 0.0) {
        return None;
    }
    let mut m = p.logit_bias.values().filter(|&&b| b < 0.0).count();
    if p.has_penalties() {
        if p.repetition_penalty < 1.0 || p.presence_penalty < 0.0 || p.frequency_penalty < 0.0 {
            return None;
        }
        m += recent.distinct();
    }
    Some(m)
}
