//! The sampler: picks the next token from logits with the settings of [`SamplingParams`].
//!
//! Stages, in order: logit bias and penalties ([`adjust`]), then greedy (temperature 0), or
//! top-k, temperature softmax, top-p, min-p and a seeded draw ([`filters`]). Each stage is a
//! function of its own, tested on hand-made distributions.
//!
//! A GPU step can read back either the full logits row or only its best candidates (a top-k).
//! [`Sampler::candidates_needed`] says how many candidates give exactly the draw the full row
//! would, or None when the full row is needed (no top-k, a positive bias, a penalty that raises
//! logits, logprobs). With the same seed both paths give the same tokens.

pub mod adjust;
pub mod filters;
pub mod logprobs;
pub mod recent;
#[cfg(test)]
mod tests;

pub use logprobs::TokenLogprob;

use crate::params::SamplingParams;
use crate::rng::Rng;
use recent::RecentTokens;

/// One chosen token.
#[derive(Clone, Debug, PartialEq)]
pub struct Sampled {
    pub id: u32,
    /// Present when the settings ask for logprobs (the full row was sampled).
    pub logprob: Option<TokenLogprob>,
}

#[derive(Clone, Debug)]
pub struct Sampler {
    params: SamplingParams,
    rng: Rng,
    recent: RecentTokens,
}

impl Sampler {
    /// A sampler drawing with `params.seed`, or `default_seed` when the request set none (the
    /// front end picks it: the CLI's `--seed`, the browser's `Math.random`).
    pub fn new(params: SamplingParams, default_seed: u64) -> Self {
        let seed = params.seed.unwrap_or(default_seed);
        Sampler {
            recent: RecentTokens::new(params.penalty_last_n),
            params,
            rng: Rng::new(seed),
        }
    }

    pub fn params(&self) -> &SamplingParams {
        &self.params
    }

    /// Adds the prompt's tokens to the penalty window (llama.cpp's penalties see the prompt
    /// too: a model repeating the question is penalized as well).
    pub fn prime(&mut self, tokens: &[u32]) {
        let n = self.params.penalty_last_n.min(tokens.len());
        for &t in &tokens[tokens.len() - n..] {
            self.recent.push(t);
        }
    }

    /// Records a token chosen elsewhere (a greedy id from the GPU) in the penalty window; the
    /// `sample_*` methods record their choice themselves.
    pub fn accept(&mut self, id: u32) {
        self.recent.push(id);
    }

    /// How many best candidates (by raw logit, ties by id) give exactly the draw of the full row,
    /// or None when only the full row will do. 1 for plain greedy decoding.
    ///
    /// Why it is enough: bias and penalties here only lower logits (else None), so at most `m`
    /// tokens (the biased and the recent ones) move down; the `k` best after them are therefore
    /// among the `k + m` best before.
    pub fn candidates_needed(&self) -> Option<usize> {
        let p = &self.params;
        if p.logprobs.is_some() {
            // The logprobs need the whole row's normalizer.
            return None;
        }
        let k = match (p.is_greedy(), p.top_k) {
            (true, _) => 1,
            (false, 0) => return None,
            (false, k) => k,
        };
        Some(k + adjust::lowered_tokens(p, &self.recent)?)
    }

    /// Whether the next draw needs the full logits row (see [`Self::candidates_needed`]).
    pub fn needs_full_row(&self) -> bool {
        self.candidates_needed().is_none()
    }

    /// Whether an argmax computed elsewhere (the GPU's greedy path) is the choice: greedy with
    /// nothing that changes logits and no logprobs.
    pub fn argmax_suffices(&self) -> bool {
        self.candidates_needed() == Some(1)
    }

    /// Picks a token from one full row of logits (index = token id).
    pub fn sample_row(&mut self, logits: &[f32]) -> Sampled {
        assert!(!logits.is_empty(), "empty logits row");
        let cands: Vec<(u32, f32)> = (0..).zip(logits.iter().copied()).collect();
        let id = self.choose(cands, true);
        let logprob = self
            .params
            .logprobs
            .map(|n| logprobs::of_row(logits, id, n));
        Sampled { id, logprob }
    }

    /// Picks a token from the best candidates `(id, raw logit)` of the row (any order), which
    /// must be at least [`Self::candidates_needed`] of them for the same draw as the full row.
    /// No logprobs here (they need the row).
    pub fn sample_candidates(&mut self, candidates: &[(u32, f32)]) -> Sampled {
        assert!(!candidates.is_empty(), "no candidates to sample from");
        let id = self.choose(candidates.to_vec(), false);
        Sampled { id, logprob: None }
    }

    /// The distribution the next draw would use over `logits` (kept ids, ranked, probabilities
    /// summing to 1): what tests and a curious user can check. Greedy is one id at 1.
    pub fn distribution_row(&self, logits: &[f32]) -> Vec<(u32, f32)> {
        let mut cands: Vec<(u32, f32)> = (0..).zip(logits.iter().copied()).collect();
        adjust::adjust(&self.params, &self.recent, &mut cands, true);
        if self.params.is_greedy() {
            return vec![(filters::best(&cands).0, 1.0)];
        }
        let (ranked, probs) = filters::distribution(&self.params, cands);
        let total: f32 = probs.iter().sum();
        ranked
            .iter()
            .zip(&probs)
            .map(|(&(id, _), &p)| (id, p / total))
            .collect()
    }

    fn choose(&mut self, mut cands: Vec<(u32, f32)>, by_id: bool) -> u32 {
        adjust::adjust(&self.params, &self.recent, &mut cands, by_id);
        let id = if self.params.is_greedy() {
            filters::best(&cands).0
        } else {
            let (ranked, probs) = filters::distribution(&self.params, cands);
            ranked[filters::draw(&mut self.rng, &probs)].0
        };
        self.recent.push(id);
        id
    }
}
