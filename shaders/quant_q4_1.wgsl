// Q4_1, repacked at load time into aligned arrays (the 20-byte GGUF block's nibbles start at
// byte 4, but keeping one layout for all 32-blocks is simpler): q41_qs[gb] holds the 16 nibble
// bytes (as Q4_0), q41_dm[gb] the f16 pair (d, m). y = q * d + m.
@group(0) @binding(3) var<storage, read> q41_qs: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> q41_dm: array<u32>;

const BLOCK: u32 = 32u;

fn weight(gb: u32, i: u32) -> f32 {
    let j = i & 15u;
    let b = byte_of(q41_qs[gb][j >> 2u], j);
    let q = select(b & 0xfu, b >> 4u, i >= 16u);
    let dm = f16_pair(q41_dm[gb]);
    return f32(q) * dm.x + dm.y;
}

// Weights i .. i+3 of block gb (i % 4 == 0).
fn weight4(gb: u32, i: u32) -> vec4<f32> {
    let j = i & 15u;
    let q = nibbles_f32(q41_qs[gb][j >> 2u], select(0u, 4u, i >= 16u));
    let dm = f16_pair(q41_dm[gb]);
    return q * dm.x + vec4<f32>(dm.y);
}

// Sub-blocks for the prefill matmul (see quant_q4_0.wgsl).
const SUB: u32 = 32u;

fn sub_scale(gb: u32, j: u32) -> vec2<f32> {
    return f16_pair(q41_dm[gb]);
}

fn quants4(gb: u32, i: u32) -> vec4<f32> {
    return nibbles_f32(q41_qs[gb][(i & 15u) >> 2u], select(0u, 4u, i >= 16u));
}
