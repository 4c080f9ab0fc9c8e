// Q6_K block dots. For each half n and each group of 16 l values (scale index is = l/16), four
// quarter sums share the four scales 8n+is+{0,2,4,6}. One ql word a (bytes l..l+3), ql word b
// (bytes l+32..) and qh word h give 16 weights: quarter 0 = a&15 | (h&3)<<4,
// 1 = b&15 | ((h>>2)&3)<<4, 2 = a>>4 | ((h>>4)&3)<<4, 3 = b>>4 | ((h>>6)&3)<<4, each minus 32.
// Four rows are done together with every x value loaded once (see matvec_q4k.wgsl).

// The four quarter dots of one (a, b, h) word triple against x0 (quarter 0) .. x3 (quarter 3).
fn q6k_quad(a: u32, b: u32, h: u32, x0: vec4<f32>, x1: vec4<f32>, x2: vec4<f32>, x3: vec4<f32>) -> vec4<f32> {
    let low4 = 0x0f0f0f0fu;
    let two = 0x30303030u;
    let bias = vec4<f32>(32.0);
    let q1 = small_to_f32(u8x4((a & low4) | ((h << 4u) & two))) - bias;
    let q2 = small_to_f32(u8x4((b & low4) | ((h << 2u) & two))) - bias;
    let q3 = small_to_f32(u8x4(((a >> 4u) & low4) | (h & two))) - bias;
    let q4 = small_to_f32(u8x4(((b >> 4u) & low4) | ((h >> 2u) & two))) - bias;
    return vec4<f32>(dot(q1, x0), dot(q2, x1), dot(q3, x2), dot(q4, x3));
}

// Quarter sums of one row for half n, scale group is (16 weights per quarter).
fn q6k_group(base: u32, n: u32, is: u32, xb: u32) -> vec4<f32> {
    let a = q6k[base + 4u * n + is];
    let b = q6k[base + 4u * n + 2u + is];
    let h = q6k[base + 8u + 2u * n + is];
    return q6k_quad(a.x, b.x, h.x, load_x(xb), load_x(xb + 8u), load_x(xb + 16u), load_x(xb + 24u))
        + q6k_quad(a.y, b.y, h.y, load_x(xb + 1u), load_x(xb + 9u), load_x(xb + 17u), load_x(xb + 25u))
        + q6k_quad(a.z, b.z, h.z, load_x(xb + 2u), load_x(xb + 10u), load_x(xb + 18u), load_x(xb + 26u))
        + q6k_quad(a.w, b.w, h.w, load_x(xb + 3u), load_x(xb + 11u), load_x(xb + 19u), load_x(xb + 27u));
}

// The scales 8n+is+{0,2,4,6} of the block at `base`, as floats.
fn q6k_group_scales(base: u32, n: u32, is: u32) -> vec4<f32> {
    let words = q6k[base + 12u];
    // scales 8n+is+2m live in word 2n + (is+2m)/4, byte (is+2m)%4: m=0,1 in word 2n, m=2,3 in 2n+1
    let lo = i8x4(words[2u * n]);
    let hi = i8x4(words[2u * n + 1u]);
    return vec4<f32>(f32(lo[is]), f32(lo[is + 2u]), f32(hi[is]), f32(hi[is + 2u]));
}

// Part (n, is) of the four blocks gb (64 weights per row), before the block scale d.
fn q6k_part_dot4(gb: vec4<u32>, n: u32, is: u32, xv: u32) -> vec4<f32> {
    let base = gb * 13u;
    let xb = xv + 32u * n + 4u * is;
    return vec4<f32>(
        dot(q6k_group(base.x, n, is, xb), q6k_group_scales(base.x, n, is)),
        dot(q6k_group(base.y, n, is, xb), q6k_group_scales(base.y, n, is)),
        dot(q6k_group(base.z, n, is, xb), q6k_group_scales(base.z, n, is)),
        dot(q6k_group(base.w, n, is, xb), q6k_group_scales(base.w, n, is)),
    );
}

fn q6k_d4(gb: vec4<u32>) -> vec4<f32> {
    return vec4<f32>(
        half_of(q6k_d[gb.x >> 1u], gb.x),
        half_of(q6k_d[gb.y >> 1u], gb.y),
        half_of(q6k_d[gb.z >> 1u], gb.z),
        half_of(q6k_d[gb.w >> 1u], gb.w),
    );
}

fn block_dot4(gb: vec4<u32>, xv: u32) -> vec4<f32> {
    var acc = vec4<f32>(0.0);
    for (var n = 0u; n < 2u; n++) {
        for (var is = 0u; is < 2u; is++) {
            acc += q6k_part_dot4(gb, n, is, xv);
        }
    }
    return acc * q6k_d4(gb);
}

// The GPU matvec's unit of work (matvec_gpu.wgsl): one part (n, is) of 64 weights of four
// rows: three 16-byte words per row (ql low, ql high, qh) and sixteen vec4s of x.
const UNITS_PER_BLOCK: u32 = 4u;

fn unit_dot4(gb: vec4<u32>, unit: u32, xv: u32) -> vec4<f32> {
    return q6k_part_dot4(gb, unit >> 1u, unit & 1u, xv) * q6k_d4(gb);
}
