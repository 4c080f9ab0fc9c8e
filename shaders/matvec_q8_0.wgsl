// Dot product of one Q8_0 block with x[xv*4 .. xv*4+32]: y = d * sum(q * x).
fn block_dot(gb: u32, xv: u32) -> f32 {
    var s = 0.0;
    for (var k = 0u; k < 2u; k++) {
        let w = q8_qs[gb * 2u + k];
        let base = xv + 4u * k;
        s += dot(i8x4_f32(w.x), load_x(base));
        s += dot(i8x4_f32(w.y), load_x(base + 1u));
        s += dot(i8x4_f32(w.z), load_x(base + 2u));
        s += dot(i8x4_f32(w.w), load_x(base + 3u));
    }
    return s * q8_scale(gb);
}

// Four rows: the x loads of the four inlined calls are identical, and the shader compilers
// merge them (measured on lavapipe: 4 rows per invocation ~2x faster than 1).
fn block_dot4(gb: vec4<u32>, xv: u32) -> vec4<f32> {
    return vec4<f32>(block_dot(gb.x, xv), block_dot(gb.y, xv), block_dot(gb.z, xv), block_dot(gb.w, xv));
}

// The GPU matvec's unit of work (matvec_gpu.wgsl): one whole block of four rows.
const UNITS_PER_BLOCK: u32 = 1u;

fn unit_dot4(gb: vec4<u32>, unit: u32, xv: u32) -> vec4<f32> {
    return block_dot4(gb, xv);
}
