// F32 weights: rows padded with zeros to a whole number of BLOCK-element blocks, so that the
// matvec driver can treat every type alike (padding only happens when cols % 32 != 0).
@group(0) @binding(3) var<storage, read> w_f32: array<vec4<f32>>;

const BLOCK: u32 = 32u;

// Weight `i` of block `gb` (blocks counted from the start of this tensor part).
fn weight(gb: u32, i: u32) -> f32 {
    return w_f32[gb * 8u + (i >> 2u)][i & 3u];
}

// Weights i .. i+3 of block gb (i % 4 == 0).
fn weight4(gb: u32, i: u32) -> vec4<f32> {
    return w_f32[gb * 8u + (i >> 2u)];
}

// Sub-blocks for the prefill matmul (see quant_q4_0.wgsl): floats need no scale.
const SUB: u32 = 32u;

fn sub_scale(gb: u32, j: u32) -> vec2<f32> {
    return vec2<f32>(1.0, 0.0);
}

fn quants4(gb: u32, i: u32) -> vec4<f32> {
    return weight4(gb, i);
}
