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
