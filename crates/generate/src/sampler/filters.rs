//! The stages after bias and penalties: rank, top-k, temperature softmax, top-p, min-p, and the
//! draw. They work on `(id, logit)` lists, so a full row and a GPU top-k list go through the same
//! code (and give the same draw when they hold the same top-k).

use std::cmp::Ordering;

use crate::params::SamplingParams;
use crate::rng::Rng;

/// Ranking: logit descending, then id ascending (the GPU top-k's order), a total order once NaN
/// is gone (`adjust` maps it to -inf), so any input order ranks the same.
pub fn rank(a: &(u32, f32), b: &(u32, f32)) -> Ordering {
    b.1.partial_cmp(&a.1)
        .unwrap_or(Ordering::Equal)
        .then(a.0.cmp(&b.0))
}

/// The best candidate (greedy).
pub fn best(cands: &[(u32, f32)]) -> (u32, f32) {
    *cands
        .iter()
        .min_by(|a, b| rank(a, b))
        .expect("no candidates")
}

/// The `k` best, ranked (all of them, ranked, when `k` is 0 or at least their number). Selects
/// before sorting so a 32k-150k row costs O(n + k log k), not a full sort.
pub fn top_k(mut cands: Vec<(u32, f32)>, k: usize) -> Vec<(u32, f32)> {
    if k > 0 && k < cands.len() {
        cands.select_nth_unstable_by(k - 1, rank);
        cands.truncate(k);
    }
    cands.sort_unstable_by(rank);
    cands
}

/// Softmax of ranked logits at `temperature` (> 0): probabilities in the same order, summing to
/// 1 (up to rounding). All -inf (every token banned) gives all of the mass to the first.
pub fn softmax(ranked: &[(u32, f32)], temperature: f32) -> Vec<f32> {
    let max = ranked[0].1;
    if max == f32::NEG_INFINITY {
        let mut p = vec![0.0; ranked.len()];
        p[0] = 1.0;
        return p;
    }
    let mut probs: Vec<f32> = ranked
        .iter()
        .map(|&(_, l)| ((l - max) / temperature).exp())
        .collect();
    let total: f32 = probs.iter().sum();
    probs.iter_mut().for_each(|x| *x /= total);
    probs
}

/// Nucleus: how many of the ranked `probs` to keep so that their sum first reaches `top_p`.
pub fn top_p_keep(probs: &[f32], top_p: f32) -> usize {
    let mut cumulative = 0.0;
    for (i, &p) in probs.iter().enumerate() {
        cumulative += p;
        if cumulative >= top_p {
            return i + 1;
        }
    }
    probs.len()
}

/// Min-p: how many of the ranked `probs` are at least `min_p` times the most likely one.
pub fn min_p_keep(probs: &[f32], min_p: f32) -> usize {
    let threshold = min_p * probs[0];
    probs.iter().take_while(|&&p| p >= threshold).count().max(1)
}

/// The distribution the draw uses: the kept candidates, ranked, with their probabilities
/// (normalized over the top-k before the top-p and min-p cuts, as the draw scales by the kept
/// mass). `cands` have had bias and penalties applied; temperature must be > 0.
pub fn distribution(p: &SamplingParams, cands: Vec<(u32, f32)>) -> (Vec<(u32, f32)>, Vec<f32>) {
    let ranked = top_k(cands, p.top_k);
    let mut probs = softmax(&ranked, p.temperature);
    let keep = top_p_keep(&probs, p.top_p).min(min_p_keep(&probs, p.min_p));
    probs.truncate(keep);
    let mut ranked = ranked;
    ranked.truncate(keep);
    (ranked, probs)
}

/// Draws from `probs` (any positive mass, not necessarily 1): one uniform number per draw.
pub fn draw(rng: &mut Rng, probs: &[f32]) -> usize {
    let total: f32 = probs.iter().sum();
    let mut r = rng.next_f32() * total;
    for (i, &p) in probs.iter().enumerate() {
        r -= p;
        if r <= 0.0 {
            return i;
        }
    }
    probs.len() - 1
}
