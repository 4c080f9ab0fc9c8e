//! Log probabilities for the API's `logprobs`: the model's own distribution, the log-softmax of
//! the raw logits (before bias, penalties, temperature and filters, as vLLM reports them), so
//! they say how sure the model was, whatever the sampling settings.

use serde::Serialize;

use super::filters::top_k;

/// The chosen token's log probability and the `top.len()` most likely alternatives.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TokenLogprob {
    pub id: u32,
    pub logprob: f32,
    /// The most likely tokens, most likely first (ties: lower id first).
    pub top: Vec<(u32, f32)>,
}

/// log(sum(exp(row))), in f64 so a 150k vocabulary loses nothing. NaN counts as -inf.
pub fn log_sum_exp(row: &[f32]) -> f64 {
    let max = row
        .iter()
        .copied()
        .filter(|x| !x.is_nan())
        .fold(f32::NEG_INFINITY, f32::max);
    if max == f32::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    let sum: f64 = row
        .iter()
        .filter(|x| !x.is_nan())
        .map(|&x| ((x - max) as f64).exp())
        .sum();
    sum.ln() + max as f64
}

/// The logprob of `id` and the `n` best alternatives over a full row of raw logits.
pub fn of_row(row: &[f32], id: u32, n: usize) -> TokenLogprob {
    let lse = log_sum_exp(row);
    let lp = |l: f32| {
        if l.is_nan() {
            f32::NEG_INFINITY
        } else {
            (l as f64 - lse) as f32
        }
    };
    let top = if n == 0 {
        Vec::new()
    } else {
        let cands: Vec<(u32, f32)> = (0..)
            .zip(
                row.iter()
                    .map(|&l| if l.is_nan() { f32::NEG_INFINITY } else { l }),
            )
            .collect();
        top_k(cands, n)
            .into_iter()
            .map(|(i, l)| (i, lp(l)))
            .collect()
    };
    TokenLogprob {
        id,
        logprob: lp(row[id as usize]),
        top,
    }
}
