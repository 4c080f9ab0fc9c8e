//! Choosing the next token from logits: greedy at temperature 0, else temperature + top-p
//! (nucleus) sampling with a seeded generator, so a seed reproduces a run exactly.

/// SplitMix64: tiny, seedable, and identical on every platform (wasm included).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
}

#[derive(Clone, Debug)]
pub struct SamplingParams {
    /// 0 means greedy.
    pub temperature: f32,
    /// Keep the smallest set of most likely tokens whose probabilities sum to at least top_p.
    pub top_p: f32,
    /// Consider only the k most likely tokens (0 = no limit).
    pub top_k: usize,
}

impl Default for SamplingParams {
    fn default() -> Self {
        SamplingParams {
            temperature: 0.7,
            top_p: 0.95,
            top_k: 40,
        }
    }
}

pub struct Sampler {
    pub params: SamplingParams,
    rng: Rng,
}

impl Sampler {
    pub fn new(params: SamplingParams, seed: u64) -> Self {
        Sampler {
            params,
            rng: Rng::new(seed),
        }
    }

    /// Picks a token id from one row of logits.
    pub fn sample(&mut self, logits: &[f32]) -> u32 {
        let p = &self.params;
        if p.temperature <= 0.0 {
            return crate::argmax(logits) as u32;
        }
        let mut candidates: Vec<(u32, f32)> = logits
            .iter()
            .enumerate()
            .map(|(i, &l)| (i as u32, l))
            .collect();
        candidates.sort_by(|a, b| b.1.total_cmp(&a.1));
        self.pick(candidates)
    }

    /// Picks a token id from the most likely candidates `(id, logit)` only (a GPU top-k), so a
    /// step need not read back the vocabulary. Any order; ties keep the given order, so give
    /// them id-ascending (as the GPU top-k does). The same draw as [`Self::sample`] on the full
    /// row when `top_k` is set and at most `candidates.len()`: both cut to the `top_k` best,
    /// then apply temperature and top-p to the same list.
    pub fn sample_candidates(&mut self, candidates: &[(u32, f32)]) -> u32 {
        assert!(!candidates.is_empty(), "no candidates to sample from");
        let mut candidates = candidates.to_vec();
        // Stable: equal logits keep the caller's (id-ascending) order, as in `sample`.
        candidates.sort_by(|a, b| b.1.total_cmp(&a.1));
        if self.params.temperature <= 0.0 {
            return candidates[0].0;
        }
        self.pick(candidates)
    }

    /// Top-k cut, temperature and top-p over `candidates` sorted by logit descending.
    fn pick(&mut self, mut candidates: Vec<(u32, f32)>) -> u32 {
        let p = &self.params;
        if p.top_k > 0 {
            candidates.truncate(p.top_k);
        }
        let max = candidates[0].1;
        let mut probs: Vec<f32> = candidates
            .iter()
            .map(|&(_, l)| ((l - max) / p.temperature).exp())
            .collect();
        let total: f32 = probs.iter().sum();
        probs.iter_mut().for_each(|x| *x /= total);
        // Nucleus: cut after the cumulative probability reaches top_p.
        let mut cumulative = 0.0;
        let mut keep = probs.len();
        for (i, &pr) in probs.iter().enumerate() {
            cumulative += pr;
            if cumulative >= p.top_p {
                keep = i + 1;
                break;
            }
        }
        let kept_total: f32 = probs[..keep].iter().sum();
        let mut r = self.rng.next_f32() * kept_total;
        for i in 0..keep {
            r -= probs[i];
            if r <= 0.0 {
                return candidates[i].0;
            }
        }
        candidates[keep - 1].0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_at_zero_temperature_and_seeded_reproducibility() {
        let logits = [0.1, 3.0, 2.9, -1.0];
        let mut s = Sampler::new(
            SamplingParams {
                temperature: 0.0,
                ..Default::default()
            },
            1,
        );
        assert_eq!(s.sample(&logits), 1);
        let run = |seed| {
            let mut s = Sampler::new(SamplingParams::default(), seed);
            (0..50).map(|_| s.sample(&logits)).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        let picks = run(7);
        assert!(picks.contains(&1) && picks.contains(&2), "{picks:?}");
        assert!(
            !picks.contains(&3),
            "top-p 0.95 excludes the tail: {picks:?}"
        );
    }

    /// The candidates a GPU top-k returns for `logits`: the k best, id-ascending on ties.
    fn top_k_of(logits: &[f32], k: usize) -> Vec<(u32, f32)> {
        let mut c: Vec<(u32, f32)> = (0..).zip(logits.iter().copied()).collect();
        c.sort_by(|a, b| b.1.total_cmp(&a.1));
        c.truncate(k);
        c
    }

    #[test]
    fn sampling_candidates_draws_like_sampling_the_row() {
        let mut rng = Rng::new(5);
        let mut logits: Vec<f32> = (0..2000).map(|_| rng.next_f32() * 8.0 - 4.0).collect();
        // Ties inside the candidates: the order between equal logits must agree too.
        for i in [3, 700, 1500, 1999] {
            logits[i] = 4.5;
        }
        for (temperature, top_p, top_k) in [(0.7, 0.95, 40), (1.5, 1.0, 64), (0.3, 0.5, 1)] {
            let params = SamplingParams {
                temperature,
                top_p,
                top_k,
            };
            // As many candidates as top_k, and more (a GPU binding of 64 with a smaller top_k).
            for n in [top_k, 64] {
                let candidates = top_k_of(&logits, n);
                // Any order with equal logits id-ascending gives the same draws.
                let mut by_id = candidates.clone();
                by_id.sort_by_key(|c| c.0);
                let mut full = Sampler::new(params.clone(), 42);
                let mut sorted = Sampler::new(params.clone(), 42);
                let mut unsorted = Sampler::new(params.clone(), 42);
                for step in 0..200 {
                    let want = full.sample(&logits);
                    let what = format!("{params:?}, {n} candidates, step {step}");
                    assert_eq!(sorted.sample_candidates(&candidates), want, "{what}");
                    assert_eq!(unsorted.sample_candidates(&by_id), want, "{what}");
                }
            }
        }
        let mut greedy = Sampler::new(
            SamplingParams {
                temperature: 0.0,
                ..Default::default()
            },
            1,
        );
        assert_eq!(greedy.sample_candidates(&top_k_of(&logits, 5)), 3);
    }

    #[test]
    fn tiny_top_p_is_greedy() {
        let mut s = Sampler::new(
            SamplingParams {
                temperature: 1.0,
                top_p: 1e-6,
                top_k: 0,
            },
            3,
        );
        for _ in 0..20 {
            assert_eq!(s.sample(&[0.0, 5.0, 4.0]), 1);
        }
    }
}
