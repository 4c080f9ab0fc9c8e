//! Parsers for numeric flags: every value is checked when the command line is read, so a bad
//! one is a usage error naming the flag and the range, never a panic, an abort or a silently
//! odd result later (`--temperature NaN`, `--window 2^58`).

use mistral_engine::model::{MAX_CONTEXT, MAX_PREFILL_CHUNK};

/// A whole number of at least 1.
pub fn positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("expected a whole number of at least 1, got {s:?}")),
    }
}

/// A token count a KV cache could hold: 1 to 16M.
pub fn token_count(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=MAX_CONTEXT).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a number of tokens from 1 to {MAX_CONTEXT}, got {s:?}"
        )),
    }
}

/// A token count from 0 to 16M (0 = off, e.g. the penalty window).
pub fn token_count_or_zero(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n <= MAX_CONTEXT => Ok(n),
        _ => Err(format!(
            "expected a number of tokens from 0 to {MAX_CONTEXT}, got {s:?}"
        )),
    }
}

/// Tokens per prefill step: 1 to 4096.
pub fn prefill_chunk(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=MAX_PREFILL_CHUNK).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a number of tokens from 1 to {MAX_PREFILL_CHUNK}, got {s:?}"
        )),
    }
}

/// Sampling temperature: a finite number from 0 (greedy) to 100 (past that every token is
/// equally likely to within f32 precision).
pub fn temperature(s: &str) -> Result<f32, String> {
    match s.parse::<f32>() {
        Ok(t) if t.is_finite() && (0.0..=100.0).contains(&t) => Ok(t),
        _ => Err(format!(
            "expected a number from 0 (greedy) to 100, got {s:?}"
        )),
    }
}

/// A probability mass for nucleus sampling: more than 0, at most 1.
pub fn probability(s: &str) -> Result<f32, String> {
    match s.parse::<f32>() {
        Ok(p) if p > 0.0 && p <= 1.0 => Ok(p),
        _ => Err(format!(
            "expected a number above 0 and at most 1, got {s:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_would_misbehave_later() {
        for bad in ["NaN", "inf", "-1", "101", "", "x"] {
            assert!(temperature(bad).is_err(), "{bad}");
        }
        assert_eq!(temperature("0"), Ok(0.0));
        for bad in ["0", "1.5", "NaN", "-0.1"] {
            assert!(probability(bad).is_err(), "{bad}");
        }
        assert!(token_count("288230376151711744").is_err());
        assert!(token_count("0").is_err());
        assert_eq!(token_count("4096"), Ok(4096));
        assert!(prefill_chunk("5000").is_err());
        assert!(positive("0").is_err());
    }
}
