// f16 cache storage for kv_write.wgsl: a pair of values packed in one u32 (low half first, as
// pack2x16float does). Converted with integer operations, not pack2x16float: the builtin is
// missing on some adapters (lavapipe, GL) and WGSL leaves its rounding unspecified, while this
// rounds to nearest even on every adapter, so the cache bits match half::f16::from_f32 exactly.

@group(0) @binding(4) var<storage, read_write> k_cache: array<u32>;
@group(0) @binding(5) var<storage, read_write> v_cache: array<u32>;

fn f32_to_f16_bits(x: f32) -> u32 {
    let b = bitcast<u32>(x);
    let sign = (b >> 16u) & 0x8000u;
    let a = b & 0x7fffffffu;
    if a >= 0x7f800000u {
        // Infinity stays infinite; NaN stays NaN (quiet bit set, top payload bits kept).
        return sign | 0x7c00u | select(0u, 0x200u | ((a >> 13u) & 0x3ffu), a > 0x7f800000u);
    }
    if a >= 0x477ff000u {
        // 65520 and above round to infinity (65520 is the tie between 65504 and 2^16).
        return sign | 0x7c00u;
    }
    if a >= 0x38800000u {
        // Normal f16 (>= 2^-14): rebias the exponent by 112 and round the 13 dropped mantissa
        // bits to nearest even; a carry into the exponent is the correct rounding.
        let m = a - 0x38000000u;
        return sign | ((m + 0xfffu + ((m >> 13u) & 1u)) >> 13u);
    }
    if a < 0x33000000u {
        // Below 2^-25 (half the smallest subnormal): rounds to zero; 2^-25 itself ties to 0.
        return sign;
    }
    // Subnormal f16: the value in units of 2^-24 is mant * 2^(e - 126), shift = 126 - e in 14..24.
    let mant = (a & 0x7fffffu) | 0x800000u;
    let shift = 126u - (a >> 23u);
    let q = mant >> shift;
    let rem = mant & ((1u << shift) - 1u);
    let half = 1u << (shift - 1u);
    let up = rem > half || (rem == half && (q & 1u) == 1u);
    return sign | (q + select(0u, 1u, up));
}

fn f16_pack(v: vec2<f32>) -> u32 {
    return f32_to_f16_bits(v.x) | (f32_to_f16_bits(v.y) << 16u);
}

fn store_pair(word: u32, k: vec2<f32>, v: vec2<f32>) {
    k_cache[word] = f16_pack(k);
    v_cache[word] = f16_pack(v);
}
