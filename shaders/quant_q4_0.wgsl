// Q4_0, repacked at load time into aligned arrays (the 18-byte GGUF block is not 4-byte
// aligned): q4_qs[gb] holds the 16 nibble bytes of block gb; q4_d the f16 scales two per word.
// Byte j holds weight j in its low nibble and weight j+16 in its high nibble.
@group(0) @binding(3) var<storage, read> q4_qs: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> q4_d: array<u32>;

const BLOCK: u32 = 32u;

fn q4_scale(gb: u32) -> f32 {
    return half_of(q4_d[gb >> 1u], gb);
}

fn weight(gb: u32, i: u32) -> f32 {
    let j = i & 15u;
    let b = byte_of(q4_qs[gb][j >> 2u], j);
    let q = select(b & 0xfu, b >> 4u, i >= 16u);
    return (f32(q) - 8.0) * q4_scale(gb);
}

// Weights i .. i+3 of block gb (i % 4 == 0): one word of nibbles, one scale.
fn weight4(gb: u32, i: u32) -> vec4<f32> {
    let j = i & 15u;
    let q = nibbles_f32(q4_qs[gb][j >> 2u], select(0u, 4u, i >= 16u));
    return (q - vec4<f32>(8.0)) * q4_scale(gb);
}

// Sub-blocks for the prefill matmul (matmul.wgsl): SUB weights share one (scale, offset), so a
// weight is quants4() * scale + offset and the scale is decoded once per SUB weights, not per
// four (on lavapipe each scale load is a per-lane gather).
const SUB: u32 = 32u;

fn sub_scale(gb: u32, j: u32) -> vec2<f32> {
    let d = q4_scale(gb);
    return vec2<f32>(d, -8.0 * d);
}

fn quants4(gb: u32, i: u32) -> vec4<f32> {
    return nibbles_f32(q4_qs[gb][(i & 15u) >> 2u], select(0u, 4u, i >= 16u));
}
