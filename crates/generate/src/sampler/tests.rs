//! Each stage on hand-made rows with known answers, the draw's frequencies over many seeded
//! draws, and the candidate path against the full row.

use super::*;
use crate::rng::Rng;

fn params(f: impl FnOnce(&mut SamplingParams)) -> SamplingParams {
    let mut p = SamplingParams {
        temperature: 1.0,
        top_k: 0,
        ..Default::default()
    };
    f(&mut p);
    p
}

/// ln of these gives a row whose softmax at temperature 1 is exactly `probs`.
fn row_of(probs: &[f64]) -> Vec<f32> {
    probs.iter().map(|p| p.ln() as f32).collect()
}

fn assert_dist(got: &[(u32, f32)], want: &[(u32, f64)]) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g.0, w.0, "{got:?} vs {want:?}");
        assert!((g.1 as f64 - w.1).abs() < 1e-5, "{got:?} vs {want:?}");
    }
}

const PROBS: [f64; 5] = [0.1, 0.4, 0.2, 0.25, 0.05];

#[test]
fn plain_softmax_keeps_every_token_ranked() {
    let s = Sampler::new(params(|_| {}), 0);
    assert_dist(
        &s.distribution_row(&row_of(&PROBS)),
        &[(1, 0.4), (3, 0.25), (2, 0.2), (0, 0.1), (4, 0.05)],
    );
}

#[test]
fn top_k_renormalizes_over_the_k_best() {
    let s = Sampler::new(params(|p| p.top_k = 2), 0);
    assert_dist(
        &s.distribution_row(&row_of(&PROBS)),
        &[(1, 0.4 / 0.65), (3, 0.25 / 0.65)],
    );
}

#[test]
fn top_p_keeps_the_smallest_set_reaching_p() {
    // 0.4 + 0.25 = 0.65 < 0.7, + 0.2 = 0.85 >= 0.7.
    let s = Sampler::new(params(|p| p.top_p = 0.7), 0);
    assert_dist(
        &s.distribution_row(&row_of(&PROBS)),
        &[(1, 0.4 / 0.85), (3, 0.25 / 0.85), (2, 0.2 / 0.85)],
    );
    // Exactly reaching it: 0.4 + 0.25 >= 0.65 (up to f32 rounding, a hair under is fine too).
    let tiny = Sampler::new(params(|p| p.top_p = 1e-6), 0);
    assert_dist(&tiny.distribution_row(&row_of(&PROBS)), &[(1, 1.0)]);
}

#[test]
fn min_p_drops_tokens_below_a_fraction_of_the_best() {
    // Threshold 0.5 * 0.4 = 0.2: keeps 0.4, 0.25, 0.2.
    let s = Sampler::new(params(|p| p.min_p = 0.5), 0);
    assert_dist(
        &s.distribution_row(&row_of(&PROBS)),
        &[(1, 0.4 / 0.85), (3, 0.25 / 0.85), (2, 0.2 / 0.85)],
    );
    // Threshold 0.24: 0.2 goes too.
    let s = Sampler::new(params(|p| p.min_p = 0.6), 0);
    assert_dist(
        &s.distribution_row(&row_of(&PROBS)),
        &[(1, 0.4 / 0.65), (3, 0.25 / 0.65)],
    );
}

#[test]
fn temperature_sharpens_and_flattens() {
    // At T the probabilities are p^(1/T), renormalized.
    for t in [0.5f64, 2.0] {
        let s = Sampler::new(params(|p| p.temperature = t as f32), 0);
        let w: Vec<f64> = PROBS.iter().map(|p| p.powf(1.0 / t)).collect();
        let total: f64 = w.iter().sum();
        let mut want: Vec<(u32, f64)> = (0..).zip(w.iter().map(|x| x / total)).collect();
        want.sort_by(|a, b| b.1.total_cmp(&a.1));
        assert_dist(&s.distribution_row(&row_of(&PROBS)), &want);
    }
    let greedy = Sampler::new(params(|p| p.temperature = 0.0), 0);
    assert_dist(&greedy.distribution_row(&row_of(&PROBS)), &[(1, 1.0)]);
}

#[test]
fn logit_bias_adds_to_the_logits() {
    // +ln 4 on token 4: weight 0.05 * 4 = 0.2; -100 on token 1 removes it (e^-100 is 0 in f32, and
    // top-p 1 is reached without it).
    let s = Sampler::new(
        params(|p| p.logit_bias = [(4, 4f32.ln()), (1, -100.0)].into()),
        0,
    );
    let total = 0.1 + 0.2 + 0.25 + 0.2;
    assert_dist(
        &s.distribution_row(&row_of(&PROBS)),
        &[
            (3, 0.25 / total),
            (2, 0.2 / total),
            (4, 0.2 / total),
            (0, 0.1 / total),
        ],
    );
}

#[test]
fn penalties_follow_llama_cpp_and_openai() {
    let row = [2.0f32, -1.0, 0.5, 3.0];
    let mut s = Sampler::new(
        params(|p| {
            p.repetition_penalty = 2.0;
            p.presence_penalty = 0.5;
            p.frequency_penalty = 0.25;
            p.penalty_last_n = 3;
        }),
        0,
    );
    // Window of 3: [0, 1, 1] after the 3 (pushed first) leaves it.
    s.prime(&[3, 0, 1, 1]);
    let mut want = [
        2.0 / 2.0 - 0.5 - 0.25,  // token 0: once; positive, divided
        -2.0 - 0.5 - 2.0 * 0.25, // token 1: twice; negative, multiplied
        0.5,                     // not in the window
        3.0,                     // left the window
    ];
    let total: f64 = want.iter().map(|&l: &f64| l.exp()).sum();
    want.iter_mut().for_each(|l| *l = l.exp() / total);
    let mut want: Vec<(u32, f64)> = (0..).zip(want).collect();
    want.sort_by(|a, b| b.1.total_cmp(&a.1));
    assert_dist(&s.distribution_row(&row), &want);
    assert_eq!(
        adjust::penalized(s.params(), 0.0, 1),
        -0.75,
        "zero logit: only presence + frequency"
    );
}

#[test]
fn draws_follow_the_distribution() {
    // 40000 draws: each frequency within 0.01 of its probability (4.5+ standard deviations for
    // p = 0.4: sd = sqrt(0.24 / 40000) = 0.0024).
    for (p, want) in [
        (params(|_| {}), vec![0.1, 0.4, 0.2, 0.25, 0.05]),
        (
            params(|p| p.top_k = 2),
            vec![0.0, 0.4 / 0.65, 0.0, 0.25 / 0.65, 0.0],
        ),
        (
            params(|p| p.min_p = 0.5),
            vec![0.0, 0.4 / 0.85, 0.2 / 0.85, 0.25 / 0.85, 0.0],
        ),
    ] {
        let mut s = Sampler::new(p.clone(), 9);
        let row = row_of(&PROBS);
        let n = 40_000;
        let mut counts = [0usize; 5];
        for _ in 0..n {
            counts[s.sample_row(&row).id as usize] += 1;
        }
        for (c, w) in counts.iter().zip(&want) {
            let f = *c as f64 / n as f64;
            assert!((f - w).abs() < 0.01, "{p:?}: {counts:?} vs {want:?}");
        }
    }
}

#[test]
fn rng_is_uniform_and_seeded() {
    let mut r = Rng::new(1);
    let n = 100_000;
    let mut buckets = [0usize; 10];
    for _ in 0..n {
        let x = r.next_f32();
        assert!((0.0..1.0).contains(&x));
        buckets[(x * 10.0) as usize] += 1;
    }
    // Each bucket within 0.005 of 0.1 (sd 0.00095).
    for b in buckets {
        assert!((b as f64 / n as f64 - 0.1).abs() < 0.005, "{buckets:?}");
    }
    let mut a = Rng::new(7);
    let mut b = Rng::new(7);
    assert!((0..100).all(|_| a.next_u64() == b.next_u64()));
}

#[test]
fn greedy_at_zero_temperature_and_seeded_reproducibility() {
    let logits = [0.1, 3.0, 2.9, -1.0];
    let mut s = Sampler::new(SamplingParams::greedy(), 1);
    assert_eq!(s.sample_row(&logits).id, 1);
    let run = |seed| {
        let p = SamplingParams {
            top_p: 0.95,
            ..Default::default()
        };
        let mut s = Sampler::new(p, seed);
        (0..50)
            .map(|_| s.sample_row(&logits).id)
            .collect::<Vec<_>>()
    };
    assert_eq!(run(7), run(7));
    let picks = run(7);
    assert!(picks.contains(&1) && picks.contains(&2), "{picks:?}");
    assert!(
        !picks.contains(&3),
        "top-p 0.95 excludes the tail: {picks:?}"
    );
    // A request's seed wins over the front end's default.
    let with_seed = |default| {
        let p = SamplingParams {
            seed: Some(3),
            ..Default::default()
        };
        let mut s = Sampler::new(p, default);
        (0..20)
            .map(|_| s.sample_row(&logits).id)
            .collect::<Vec<_>>()
    };
    assert_eq!(with_seed(1), with_seed(2));
}

/// The candidates a GPU top-k returns for `logits`: the k best, id-ascending on ties.
fn top_k_of(logits: &[f32], k: usize) -> Vec<(u32, f32)> {
    filters::top_k((0..).zip(logits.iter().copied()).collect(), k)
}

fn random_row(seed: u64, n: usize) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let mut logits: Vec<f32> = (0..n).map(|_| rng.next_f32() * 8.0 - 4.0).collect();
    // Ties inside the candidates: the order between equal logits must agree too.
    for i in [3, 700, 1500, 1999] {
        logits[i] = 4.5;
    }
    logits
}

#[test]
fn sampling_candidates_draws_like_sampling_the_row() {
    let logits = random_row(5, 2000);
    for (temperature, top_p, top_k, min_p) in [
        (0.7, 0.95, 40, 0.0),
        (1.5, 1.0, 64, 0.05),
        (0.3, 0.5, 1, 0.0),
        (1.0, 0.9, 20, 0.1),
    ] {
        let params = SamplingParams {
            temperature,
            top_p,
            top_k,
            min_p,
            ..Default::default()
        };
        assert_eq!(
            Sampler::new(params.clone(), 0).candidates_needed(),
            Some(top_k)
        );
        // As many candidates as needed, and more (a GPU binding of 64 with a smaller top_k).
        for n in [top_k, 64] {
            let candidates = top_k_of(&logits, n);
            let mut by_id = candidates.clone();
            by_id.sort_by_key(|c| c.0);
            let mut full = Sampler::new(params.clone(), 42);
            let mut sorted = Sampler::new(params.clone(), 42);
            let mut unsorted = Sampler::new(params.clone(), 42);
            for step in 0..200 {
                let want = full.sample_row(&logits).id;
                let what = format!("{params:?}, {n} candidates, step {step}");
                assert_eq!(sorted.sample_candidates(&candidates).id, want, "{what}");
                assert_eq!(unsorted.sample_candidates(&by_id).id, want, "{what}");
            }
        }
    }
    let mut greedy = Sampler::new(SamplingParams::greedy(), 1);
    assert_eq!(greedy.sample_candidates(&top_k_of(&logits, 5)).id, 3);
}

#[test]
fn candidates_with_penalties_and_negative_bias_draw_like_the_row() {
    // The recent tokens are the row's best, so the penalties reorder the top of the list.
    let logits = random_row(11, 3000);
    let best: Vec<u32> = top_k_of(&logits, 8).iter().map(|c| c.0).collect();
    for greedy in [false, true] {
        let params = SamplingParams {
            temperature: if greedy { 0.0 } else { 0.8 },
            top_k: 10,
            repetition_penalty: 1.3,
            presence_penalty: 0.4,
            frequency_penalty: 0.2,
            penalty_last_n: 16,
            logit_bias: [(best[0], -5.0), (17, -1.0)].into(),
            ..Default::default()
        };
        let mut full = Sampler::new(params.clone(), 4);
        let mut cands = Sampler::new(params.clone(), 4);
        full.prime(&best[1..6]);
        cands.prime(&best[1..6]);
        for step in 0..300 {
            let n = cands
                .candidates_needed()
                .expect("penalties that lower allow candidates");
            let want = full.sample_row(&logits).id;
            let got = cands.sample_candidates(&top_k_of(&logits, n)).id;
            assert_eq!(got, want, "greedy {greedy}, step {step}, {n} candidates");
        }
    }
}

#[test]
fn what_needs_the_full_row() {
    let needed = |f: fn(&mut SamplingParams)| {
        let mut s = Sampler::new(
            params(|p| {
                p.top_k = 40;
                f(p)
            }),
            0,
        );
        s.prime(&[1, 2, 2, 3]);
        s.candidates_needed()
    };
    assert_eq!(needed(|_| {}), Some(40));
    assert_eq!(needed(|p| p.temperature = 0.0), Some(1));
    assert_eq!(needed(|p| p.top_k = 0), None);
    assert_eq!(
        needed(|p| {
            p.top_k = 0;
            p.temperature = 0.0
        }),
        Some(1)
    );
    assert_eq!(needed(|p| p.logprobs = Some(0)), None);
    assert_eq!(needed(|p| p.logit_bias = [(5, 1.0)].into()), None);
    assert_eq!(
        needed(|p| p.logit_bias = [(5, -1.0), (6, 0.0)].into()),
        Some(41)
    );
    // Three distinct recent tokens may each move down.
    assert_eq!(needed(|p| p.repetition_penalty = 1.1), Some(43));
    assert_eq!(needed(|p| p.repetition_penalty = 0.9), None);
    assert_eq!(needed(|p| p.presence_penalty = -0.5), None);
    assert_eq!(needed(|p| p.frequency_penalty = -0.5), None);
    assert_eq!(
        needed(|p| {
            p.frequency_penalty = 0.5;
            p.penalty_last_n = 0
        }),
        Some(40)
    );
    let s = Sampler::new(params(|p| p.temperature = 0.0), 0);
    assert!(s.argmax_suffices() && !s.needs_full_row());
}

#[test]
fn logprobs_are_the_models_log_softmax_with_top_alternatives() {
    let row = row_of(&PROBS);
    let mut s = Sampler::new(
        params(|p| {
            p.logprobs = Some(2);
            p.temperature = 0.0
        }),
        0,
    );
    let lp = s.sample_row(&row).logprob.unwrap();
    assert_eq!(lp.id, 1);
    assert!((lp.logprob as f64 - 0.4f64.ln()).abs() < 1e-5, "{lp:?}");
    assert_eq!(lp.top.len(), 2);
    assert_eq!((lp.top[0].0, lp.top[1].0), (1, 3));
    assert!((lp.top[1].1 as f64 - 0.25f64.ln()).abs() < 1e-5, "{lp:?}");
    // Raw logits: temperature and bias do not change them.
    let mut biased = Sampler::new(
        params(|p| {
            p.logprobs = Some(0);
            p.logit_bias = [(4, 100.0)].into()
        }),
        0,
    );
    let lp = biased.sample_row(&row).logprob.unwrap();
    assert_eq!(lp.id, 4);
    assert!((lp.logprob as f64 - 0.05f64.ln()).abs() < 1e-5, "{lp:?}");
    assert!(lp.top.is_empty());
}

#[test]
fn nan_logits_are_never_chosen_and_all_banned_still_answers() {
    let mut s = Sampler::new(params(|_| {}), 0);
    for _ in 0..100 {
        assert_eq!(s.sample_row(&[f32::NAN, 0.0, f32::NAN]).id, 1);
    }
    let mut s = Sampler::new(
        params(|p| p.logit_bias = [(0, -100.0), (1, -100.0)].into()),
        0,
    );
    let id = s.sample_row(&[f32::NEG_INFINITY, f32::NEG_INFINITY]).id;
    assert_eq!(id, 0);
}
