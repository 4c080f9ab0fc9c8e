// Q8_0, repacked at load time into aligned arrays (the 34-byte GGUF block is not 4-byte
// aligned): q8_qs holds the 32 int8 quants of block gb in q8_qs[2gb], q8_qs[2gb+1];
// q8_d holds the f16 scales two per word (block gb in word gb/2, half gb%2).
@group(0) @binding(3) var<storage, read> q8_qs: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> q8_d: array<u32>;

const BLOCK: u32 = 32u;

fn q8_scale(gb: u32) -> f32 {
    return half_of(q8_d[gb >> 1u], gb);
}

fn weight(gb: u32, i: u32) -> f32 {
    let word = q8_qs[gb * 2u + (i >> 4u)][(i >> 2u) & 3u];
    return f32(i8x4(word)[i & 3u]) * q8_scale(gb);
}

// Weights i .. i+3 of block gb (i % 4 == 0).
fn weight4(gb: u32, i: u32) -> vec4<f32> {
    let word = q8_qs[gb * 2u + (i >> 4u)][(i >> 2u) & 3u];
    return i8x4_f32(word) * q8_scale(gb);
}

// Sub-blocks for the prefill matmul (see quant_q4_0.wgsl).
const SUB: u32 = 32u;

fn sub_scale(gb: u32, j: u32) -> vec2<f32> {
    return vec2<f32>(q8_scale(gb), 0.0);
}

fn quants4(gb: u32, i: u32) -> vec4<f32> {
    return i8x4_f32(q8_qs[gb * 2u + (i >> 4u)][(i >> 2u) & 3u]);
}
