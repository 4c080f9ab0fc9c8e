//! Quantize -> dequantize round trips: ggml's error thresholds (tests/test-quantize-fns.cpp),
//! relative error across magnitudes, awkward inputs, and errors (never panics) on bad sizes.
//!
//! Run with `-- --nocapture` to see the measured errors.

use mistral_formats::quant::{dequantize, dequantize_to_vec, quantize};
use mistral_formats::{FormatError, TensorType};

/// Every type we can quantize to that loses precision.
const QUANTIZED: [TensorType; 5] = [
    TensorType::Q4_0,
    TensorType::Q4_1,
    TensorType::Q8_0,
    TensorType::Q4K,
    TensorType::Q6K,
];

fn round_trip(ty: TensorType, x: &[f32]) -> Vec<f32> {
    let q = quantize(ty, x).unwrap();
    assert_eq!(
        q.len(),
        x.len() / ty.block_elems() * ty.block_bytes(),
        "{ty:?}"
    );
    dequantize_to_vec(ty, &q).unwrap()
}

/// test-quantize-fns' synthetic data: 0.1 + 2 cos(i + offset), in f32 like ggml's `cosf`.
fn ggml_test_data(n: usize, offset: f32) -> Vec<f32> {
    (0..n)
        .map(|i| 0.1 + 2.0 * (i as f32 + offset).cos())
        .collect()
}

/// test-quantize-fns' `array_rmse`: sqrt(sum of squared differences) / n. (Not a true RMSE,
/// which would divide by sqrt(n); we keep ggml's definition so its thresholds apply.)
fn ggml_total_error(a: &[f32], b: &[f32]) -> f64 {
    let sum: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (x as f64 - y as f64).powi(2))
        .sum();
    sum.sqrt() / a.len() as f64
}

fn rms(a: &[f32]) -> f64 {
    (a.iter().map(|&x| (x as f64).powi(2)).sum::<f64>() / a.len() as f64).sqrt()
}

fn rmse(a: &[f32], b: &[f32]) -> f64 {
    let d: Vec<f32> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    rms(&d)
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(&x, &y)| x as f64 * y as f64).sum()
}

/// A small deterministic generator (xorshift64*), so the tests need no dependencies.
struct Rng(u64);
impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Standard normal (Box-Muller).
    fn normal(&mut self) -> f32 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    }
    fn normals(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| self.normal() * scale).collect()
    }
}

/// ggml's checks: total error <= 0.002 for 4-bit and wider types, and dot-product error
/// <= 0.02. ggml quantizes the second operand to the type's vec-dot partner (Q8_0 for
/// Q4_0/Q8_0, Q8_1 for Q4_1, Q8_K for the K-quants); we use Q8_0 for all of them (Q8_1 has the
/// same values; Q8_K has an f32 scale per 256, similar precision).
#[test]
fn ggml_test_quantize_fns_thresholds() {
    const N: usize = 32 * 128; // test-quantize-fns' test_size
    let data1 = ggml_test_data(N, 0.0);
    let data2 = ggml_test_data(N, 1.0);
    let exact_dot = dot(&data1, &data2);
    let partner = round_trip(TensorType::Q8_0, &data2);
    for ty in QUANTIZED {
        let y = round_trip(ty, &data1);
        let total = ggml_total_error(&data1, &y);
        let dot_err = (dot(&y, &partner) - exact_dot).abs() / N as f64;
        let dot_err_f32 = (dot(&y, &data2) - exact_dot).abs() / N as f64;
        eprintln!(
            "{:5} total error {total:.6} (RMSE {:.5})  dot error {dot_err:.6} (vs f32 partner {dot_err_f32:.6})",
            ty.name(),
            rmse(&data1, &y),
        );
        assert!(total <= 0.002, "{ty:?}: total error {total}");
        assert!(dot_err <= 0.02, "{ty:?}: dot-product error {dot_err}");
        assert!(
            dot_err_f32 <= 0.02,
            "{ty:?}: dot-product error {dot_err_f32}"
        );
    }
}

/// Relative RMSE on Gaussian weights at magnitudes from 1e-3 to 1e4 (all within what f16
/// block scales represent), with bounds a little above what ggml's algorithms reach; also
/// the expected ordering of the formats by precision.
#[test]
fn relative_error_on_gaussian_data_across_magnitudes() {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let bound = |ty| match ty {
        TensorType::Q8_0 => 0.006,
        TensorType::Q6K => 0.025,
        TensorType::Q4K => 0.08,
        TensorType::Q4_1 => 0.10,
        TensorType::Q4_0 => 0.11,
        _ => unreachable!(),
    };
    for scale in [1e-3f32, 1e-2, 1.0, 1e3, 1e4] {
        let x = rng.normals(256 * 64, scale);
        let mut rel = Vec::new();
        for ty in QUANTIZED {
            let y = round_trip(ty, &x);
            let r = rmse(&x, &y) / rms(&x);
            eprintln!("{:5} scale {scale:7.0e}: relative RMSE {r:.5}", ty.name());
            assert!(r <= bound(ty), "{ty:?} at scale {scale}: relative RMSE {r}");
            rel.push((ty, r));
        }
        let r = |t| rel.iter().find(|(ty, _)| *ty == t).unwrap().1;
        assert!(r(TensorType::Q8_0) < r(TensorType::Q6K));
        assert!(r(TensorType::Q6K) < r(TensorType::Q4K));
        assert!(r(TensorType::Q4K) < r(TensorType::Q4_0));
    }
}

#[test]
fn zeros_and_constants() {
    for ty in QUANTIZED {
        let n = ty.block_elems() * 3;
        let y = round_trip(ty, &vec![0.0; n]);
        assert!(y.iter().all(|&v| v == 0.0), "{ty:?}: zeros gave {y:?}");

        for c in [0.7f32, -3.0, 1000.0, -0.015625] {
            let y = round_trip(ty, &vec![c; n]);
            for &v in &y {
                // A constant is either stored through an f16 scale (3 significant digits) or,
                // for Q4_K, as a 6-bit multiple of an f16 minimum.
                assert!(
                    (v - c).abs() <= 2e-3 * c.abs(),
                    "{ty:?}: constant {c} gave {v}"
                );
            }
        }
    }
}

/// One-signed and offset data: the affine formats (Q4_1, Q4_K) should use their minimum,
/// the symmetric ones still stay within their Gaussian bounds' ballpark.
#[test]
fn one_signed_data() {
    let mut rng = Rng(77);
    for ty in QUANTIZED {
        let n = 256 * 8;
        let neg: Vec<f32> = rng.normals(n, 1.0).iter().map(|v| -v.abs()).collect();
        let pos_offset: Vec<f32> = rng.normals(n, 0.1).iter().map(|v| 5.0 + v).collect();
        for (what, x) in [("negative-only", &neg), ("5 + N(0, 0.1)", &pos_offset)] {
            let y = round_trip(ty, x);
            // Error relative to the spread (max - min) of each block: what a code can resolve.
            let spread = |b: &[f32]| {
                b.iter().cloned().fold(f32::MIN, f32::max)
                    - b.iter().cloned().fold(f32::MAX, f32::min)
            };
            let worst = x
                .chunks(ty.block_elems())
                .zip(y.chunks(ty.block_elems()))
                .map(|(a, b)| rmse(a, b) / spread(a).max(1e-30) as f64)
                .fold(0.0, f64::max);
            eprintln!(
                "{:5} {what:14}: worst block RMSE / spread {worst:.5}",
                ty.name()
            );
            let limit = match ty {
                // Symmetric formats spend half their codes on the unused sign; Q4_0 and Q6_K
                // have no offset, so for 5 + noise they resolve only |max| / 8 or / 32 steps.
                TensorType::Q4_0 => 2.0,
                TensorType::Q6K => 0.5,
                TensorType::Q8_0 => 0.2,
                // Q4_K's minimum can only be subtracted (m >= 0), so all-positive data is coded
                // from 0 up, like an unsigned 4-bit scale: 5 + noise gets steps of ~5/15.
                TensorType::Q4K => 0.25,
                _ => 0.05,
            };
            assert!(worst <= limit, "{ty:?} {what}: {worst}");
        }
    }
}

/// Magnitudes outside what f16 scales hold, NaN and infinities: quantize must not panic and
/// must return the right size; tiny inputs must come back tiny (scales underflow to 0).
#[test]
fn extreme_inputs_do_not_panic() {
    let mut rng = Rng(99);
    for ty in QUANTIZED
        .into_iter()
        .chain([TensorType::F16, TensorType::BF16, TensorType::F32])
    {
        let n = 256 * 2;
        for scale in [1e-40f32, 1e-30, 1e-8] {
            let x = rng.normals(n, scale);
            let y = round_trip(ty, &x);
            let amax = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            assert!(
                y.iter()
                    .all(|v| v.is_finite() && v.abs() <= 2.0 * amax + 1e-7),
                "{ty:?} at scale {scale}"
            );
        }
        let mut weird = rng.normals(n, 1e30);
        weird[1] = f32::NAN;
        weird[40] = f32::INFINITY;
        weird[300] = f32::NEG_INFINITY;
        weird[301] = f32::MAX;
        weird[302] = -f32::MAX;
        let q = quantize(ty, &weird).unwrap();
        assert_eq!(dequantize_to_vec(ty, &q).unwrap().len(), n);
    }
}

/// Plain float types: representable values survive a round trip exactly.
#[test]
fn float_types_round_trip_exactly() {
    let mut rng = Rng(5);
    for ty in [TensorType::F32, TensorType::F16, TensorType::BF16] {
        let bytes: Vec<u8> = (0..2048).map(|_| rng.next_u64() as u8).collect();
        let x = dequantize_to_vec(ty, &bytes).unwrap();
        if x.iter().any(|v| v.is_nan()) {
            // NaN payloads may be quieted; compare the rest.
            let back = dequantize_to_vec(ty, &quantize(ty, &x).unwrap()).unwrap();
            for (a, b) in x.iter().zip(&back) {
                assert!(
                    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                    "{ty:?}"
                );
            }
        } else {
            assert_eq!(quantize(ty, &x).unwrap(), bytes, "{ty:?}");
        }
    }
}

#[test]
fn bad_sizes_are_errors_not_panics() {
    for ty in TensorType::ALL {
        let bb = ty.block_bytes();
        let be = ty.block_elems();
        for len in 0..=3 * bb + 1 {
            let data = vec![0u8; len];
            let whole = len / bb * bb == len;
            let n = len / bb * be;
            match dequantize_to_vec(ty, &data) {
                Ok(v) => assert!(whole && v.len() == n, "{ty:?} {len}"),
                Err(FormatError::PartialBlock {
                    ty: t,
                    len: l,
                    block_bytes,
                }) => assert!(!whole && t == ty && l == len && block_bytes == bb),
                Err(e) => panic!("{ty:?} {len}: unexpected {e}"),
            }
            for out_len in [n.saturating_sub(1), n + 1] {
                if !whole || out_len == n {
                    continue;
                }
                let mut out = vec![0.0; out_len];
                let err = dequantize(ty, &data, &mut out).unwrap_err();
                assert!(
                    matches!(err, FormatError::ElementCountMismatch { expected, got, .. } if expected == n && got == out_len),
                    "{ty:?}: {err}"
                );
                assert!(err.to_string().contains("room for"), "{err}");
            }
        }
        for len in 0..=2 * be + 1 {
            let src = vec![1.0f32; len];
            let whole = len / be * be == len;
            match quantize(ty, &src) {
                Ok(q) => assert!(whole && q.len() == len / be * bb, "{ty:?} {len}"),
                Err(FormatError::RowNotBlockMultiple { len: l, block, .. }) => {
                    assert!(!whole && l == len && block == be)
                }
                Err(e) => panic!("{ty:?} {len}: unexpected {e}"),
            }
        }
        // A partial block is an error even when `out` happens to have a plausible size.
        let mut out = vec![0.0; be];
        assert!(matches!(
            dequantize(ty, &vec![0u8; bb + 1], &mut out),
            Err(FormatError::PartialBlock { .. })
        ));
    }
}
