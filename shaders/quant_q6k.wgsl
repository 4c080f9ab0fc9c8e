// Q6_K, repacked at load time: the 210-byte GGUF block ends with its f16 scale d, which breaks
// alignment. q6k[13gb .. 13gb+13] holds the first 208 bytes unchanged (ql[128] = vec4s 0..7,
// qh[64] = vec4s 8..11, int8 scales[16] = vec4 12); q6k_d the d values, two per word.
// Weight n*128 + 32*m + l (half n, quarter m, l < 32) is
//   ((ql[64n + l + 32*(m&1)] >> 4*(m>>1)) & 15 | ((qh[32n + l] >> 2m) & 3) << 4) - 32
// times d * scales[8n + l/16 + 2m].
@group(0) @binding(3) var<storage, read> q6k: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> q6k_d: array<u32>;

const BLOCK: u32 = 256u;

fn q6k_byte(gb: u32, byte_index: u32) -> u32 {
    return byte_of(q6k[gb * 13u + (byte_index >> 4u)][(byte_index >> 2u) & 3u], byte_index);
}

// Signed scale t (0..15) of block gb.
fn q6k_scale(gb: u32, t: u32) -> f32 {
    return f32(i8x4(q6k[gb * 13u + 12u][t >> 2u])[t & 3u]);
}

fn weight(gb: u32, i: u32) -> f32 {
    let n = i >> 7u;
    let m = (i >> 5u) & 3u;
    let l = i & 31u;
    let ql = q6k_byte(gb, 64u * n + l + 32u * (m & 1u));
    let qh = q6k_byte(gb, 128u + 32u * n + l);
    let q = ((ql >> (4u * (m >> 1u))) & 0xfu) | (((qh >> (2u * m)) & 3u) << 4u);
    let d = half_of(q6k_d[gb >> 1u], gb);
    return d * q6k_scale(gb, 8u * n + (l >> 4u) + 2u * m) * (f32(q) - 32.0);
}

// Weights i .. i+3 of block gb (i % 4 == 0): one word of ql, one of qh, one scale.
fn weight4(gb: u32, i: u32) -> vec4<f32> {
    let s = sub_scale(gb, i / SUB);
    return quants4(gb, i) * s.x + vec4<f32>(s.y);
}

// Sub-blocks for the prefill matmul (see quant_q4_0.wgsl): sub-block j is weights 16j..16j+15,
// whose int8 scale is scales[j]; the 6-bit quants are offset by 32.
const SUB: u32 = 16u;

fn sub_scale(gb: u32, j: u32) -> vec2<f32> {
    let s = half_of(q6k_d[gb >> 1u], gb) * q6k_scale(gb, j);
    return vec2<f32>(s, -32.0 * s);
}

fn quants4(gb: u32, i: u32) -> vec4<f32> {
    let n = i >> 7u;
    let m = (i >> 5u) & 3u;
    let l = i & 31u;
    let lo = 64u * n + l + 32u * (m & 1u);
    let hi = 128u + 32u * n + l;
    let ql = q6k[gb * 13u + (lo >> 4u)][(lo >> 2u) & 3u];
    let qh = q6k[gb * 13u + (hi >> 4u)][(hi >> 2u) & 3u];
    return small_to_f32(((u8x4(ql) >> vec4<u32>(4u * (m >> 1u))) & vec4<u32>(0xfu))
        | (((u8x4(qh) >> vec4<u32>(2u * m)) & vec4<u32>(3u)) << vec4<u32>(4u)));
}
