// Q4_K block dots: sum over sub-blocks j of d*sc_j*sum(q*x) - dmin*m_j*sum(x).
// Four rows are done together with every x value loaded once and used explicitly four times:
// the one-row body is too large for the compiler to merge the loads across inlined calls.

// Low nibbles of w against a0..a3 and high nibbles against b0..b3 (16 bytes = 32 weights).
fn q4k_dot16(w: vec4<u32>, a0: vec4<f32>, a1: vec4<f32>, a2: vec4<f32>, a3: vec4<f32>,
             b0: vec4<f32>, b1: vec4<f32>, b2: vec4<f32>, b3: vec4<f32>) -> vec2<f32> {
    return vec2<f32>(
        dot(lo_nibbles(w.x), a0) + dot(lo_nibbles(w.y), a1) + dot(lo_nibbles(w.z), a2) + dot(lo_nibbles(w.w), a3),
        dot(hi_nibbles(w.x), b0) + dot(hi_nibbles(w.y), b1) + dot(hi_nibbles(w.z), b2) + dot(hi_nibbles(w.w), b3),
    );
}

// One row's contribution from chunk c, given its quant sums (q_lo, q_hi) and the x sums.
fn q4k_chunk(head: vec4<u32>, c: u32, q: vec2<f32>, xs: vec2<f32>) -> f32 {
    let dm = f16_pair(head.x);
    let s = q4k_scales(head);
    let a = q4k_scale_min(s, 2u * c);
    let b = q4k_scale_min(s, 2u * c + 1u);
    return dm.x * (a.x * q.x + b.x * q.y) - dm.y * (a.y * xs.x + b.y * xs.y);
}

// Chunk c (64 weights) of the four blocks at q4k[base..]: 32 bytes of nibbles per row.
fn q4k_chunk_dot4(base: vec4<u32>, c: u32, xv: u32) -> vec4<f32> {
    let one = vec4<f32>(1.0);
    var q0 = vec2<f32>(0.0);
    var q1 = vec2<f32>(0.0);
    var q2 = vec2<f32>(0.0);
    var q3 = vec2<f32>(0.0);
    var xs = vec2<f32>(0.0);
    for (var h = 0u; h < 2u; h++) {
        // bytes 16h.. of chunk c: weights 64c+16h.. (low nibbles) and 64c+32+16h.. (high)
        let xl = xv + 16u * c + 4u * h;
        let a0 = load_x(xl);
        let a1 = load_x(xl + 1u);
        let a2 = load_x(xl + 2u);
        let a3 = load_x(xl + 3u);
        let b0 = load_x(xl + 8u);
        let b1 = load_x(xl + 9u);
        let b2 = load_x(xl + 10u);
        let b3 = load_x(xl + 11u);
        xs += vec2<f32>(dot(a0 + a1 + a2 + a3, one), dot(b0 + b1 + b2 + b3, one));
        let off = 1u + 2u * c + h;
        q0 += q4k_dot16(q4k[base.x + off], a0, a1, a2, a3, b0, b1, b2, b3);
        q1 += q4k_dot16(q4k[base.y + off], a0, a1, a2, a3, b0, b1, b2, b3);
        q2 += q4k_dot16(q4k[base.z + off], a0, a1, a2, a3, b0, b1, b2, b3);
        q3 += q4k_dot16(q4k[base.w + off], a0, a1, a2, a3, b0, b1, b2, b3);
    }
    return vec4<f32>(
        q4k_chunk(q4k[base.x], c, q0, xs),
        q4k_chunk(q4k[base.y], c, q1, xs),
        q4k_chunk(q4k[base.z], c, q2, xs),
        q4k_chunk(q4k[base.w], c, q3, xs),
    );
}

fn block_dot4(gb: vec4<u32>, xv: u32) -> vec4<f32> {
    var acc = vec4<f32>(0.0);
    for (var c = 0u; c < 4u; c++) {
        acc += q4k_chunk_dot4(gb * 9u, c, xv);
    }
    return acc;
}

// The GPU matvec's unit of work (matvec_gpu.wgsl): one 64-weight chunk of four rows, so that
// adjacent invocations read adjacent 32-byte pieces of a block.
const UNITS_PER_BLOCK: u32 = 4u;

fn unit_dot4(gb: vec4<u32>, unit: u32, xv: u32) -> vec4<f32> {
    return q4k_chunk_dot4(gb * 9u, unit, xv);
}
