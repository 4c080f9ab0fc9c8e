// Q4_K kept in its GGUF layout: the 144-byte block is already 16-byte aligned, so block gb is
// q4k[9gb .. 9gb+9]: vec4 0 = (f16 pair d|dmin, scales[0..4], scales[4..8], scales[8..12]),
// vec4s 1..8 = qs[128]. 256 weights in four chunks of 64: chunk c uses bytes 32c..32c+32,
// low nibbles for weights 64c.. (scale/min index 2c), high nibbles for 64c+32.. (index 2c+1).
@group(0) @binding(3) var<storage, read> q4k: array<vec4<u32>>;

const BLOCK: u32 = 256u;

// The 6-bit scales (x) and mins (y) of sub-blocks 0..3 (byte j = sub-block j) and 4..7.
// Same unpacking as ggml's get_scale_min_k4, done on four bytes at a time.
struct Q4kScales {
    sc_lo: u32,
    m_lo: u32,
    sc_hi: u32,
    m_hi: u32,
}

fn q4k_scales(head: vec4<u32>) -> Q4kScales {
    let s0 = head.y;
    let s1 = head.z;
    let s2 = head.w;
    return Q4kScales(
        s0 & 0x3f3f3f3fu,
        s1 & 0x3f3f3f3fu,
        (s2 & 0x0f0f0f0fu) | ((s0 >> 2u) & 0x30303030u),
        ((s2 >> 4u) & 0x0f0f0f0fu) | ((s1 >> 2u) & 0x30303030u),
    );
}

// Scale and min of sub-block j (0..7).
fn q4k_scale_min(s: Q4kScales, j: u32) -> vec2<f32> {
    let sc = select(s.sc_lo, s.sc_hi, j >= 4u);
    let m = select(s.m_lo, s.m_hi, j >= 4u);
    return vec2<f32>(f32(byte_of(sc, j)), f32(byte_of(m, j)));
}

fn weight(gb: u32, i: u32) -> f32 {
    let head = q4k[gb * 9u];
    let dm = f16_pair(head.x);
    let c = i >> 6u;           // chunk of 64
    let high = (i & 32u) != 0u; // second half of the chunk: high nibbles
    let l = i & 31u;           // byte within the chunk
    let word = q4k[gb * 9u + 1u + 2u * c + (l >> 4u)][(l >> 2u) & 3u];
    let b = byte_of(word, l);
    let q = select(b & 0xfu, b >> 4u, high);
    let sm = q4k_scale_min(q4k_scales(head), 2u * c + select(0u, 1u, high));
    return dm.x * sm.x * f32(q) - dm.y * sm.y;
}

// Weights i .. i+3 of block gb (i % 4 == 0): one word of nibbles, one scale/min pair.
fn weight4(gb: u32, i: u32) -> vec4<f32> {
    let s = sub_scale(gb, i / SUB);
    return quants4(gb, i) * s.x + vec4<f32>(s.y);
}

// Sub-blocks for the prefill matmul (see quant_q4_0.wgsl): sub-block j is weights 32j..32j+31,
// scale d * sc[j], offset -dmin * m[j].
const SUB: u32 = 32u;

fn sub_scale(gb: u32, j: u32) -> vec2<f32> {
    let head = q4k[gb * 9u];
    let dm = f16_pair(head.x);
    let sm = q4k_scale_min(q4k_scales(head), j);
    return vec2<f32>(dm.x * sm.x, -dm.y * sm.y);
}

fn quants4(gb: u32, i: u32) -> vec4<f32> {
    let c = i >> 6u;
    let l = i & 31u;
    let word = q4k[gb * 9u + 1u + 2u * c + (l >> 4u)][(l >> 2u) & 3u];
    return nibbles_f32(word, select(0u, 4u, (i & 32u) != 0u));
}
