// f16 pair decoding with integer operations, for adapters where unpack2x16float is unavailable
// (see f16_unpack.wgsl). Exact for every f16, including subnormals (which a float multiply of
// the shifted bits would lose where f32 denormals are flushed to zero), infinities and NaN.
fn f16_bits_to_f32(h: u32) -> f32 {
    let exponent = h & 0x7c00u;
    let mantissa = h & 0x3ffu;
    // Normal numbers: move exponent and mantissa into place and rebias the exponent by 112.
    var v = bitcast<f32>(((h & 0x7fffu) << 13u) + 0x38000000u);
    v = select(v, f32(mantissa) * 5.9604644775390625e-8, exponent == 0u);
    v = select(v, bitcast<f32>(0x7f800000u | (mantissa << 13u)), exponent == 0x7c00u);
    return select(v, -v, (h & 0x8000u) != 0u);
}

fn f16_pair(word: u32) -> vec2<f32> {
    return vec2<f32>(f16_bits_to_f32(word & 0xffffu), f16_bits_to_f32(word >> 16u));
}
