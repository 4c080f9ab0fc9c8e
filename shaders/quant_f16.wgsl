// F16 weights kept as f16 (two per u32 word, decoded by f16_pair() so that no
// `shader-f16` feature is needed). Rows padded with zeros to whole 32-element blocks.
@group(0) @binding(3) var<storage, read> w_f16: array<vec4<u32>>;

const BLOCK: u32 = 32u;

fn weight(gb: u32, i: u32) -> f32 {
    return half_of(w_f16[gb * 4u + (i >> 3u)][(i >> 1u) & 3u], i);
}

// Weights i .. i+3 of block gb (i % 4 == 0): two words.
fn weight4(gb: u32, i: u32) -> vec4<f32> {
    let v = w_f16[gb * 4u + (i >> 3u)];
    let pair = select(v.xy, v.zw, (i & 4u) != 0u);
    return vec4<f32>(f16_pair(pair.x), f16_pair(pair.y));
}

// Sub-blocks for the prefill matmul (see quant_q4_0.wgsl): floats need no scale.
const SUB: u32 = 32u;

fn sub_scale(gb: u32, j: u32) -> vec2<f32> {
    return vec2<f32>(1.0, 0.0);
}

fn quants4(gb: u32, i: u32) -> vec4<f32> {
    return weight4(gb, i);
}
