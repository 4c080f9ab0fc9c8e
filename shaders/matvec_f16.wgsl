// Dot product of one 32-element F16 block (4 x vec4<u32> = 32 halves) with x[xv*4 ..].
fn block_dot(gb: u32, xv: u32) -> f32 {
    var s = 0.0;
    for (var k = 0u; k < 4u; k++) {
        let w = w_f16[gb * 4u + k];
        let a = vec4<f32>(f16_pair(w.x), f16_pair(w.y));
        let b = vec4<f32>(f16_pair(w.z), f16_pair(w.w));
        s += dot(a, load_x(xv + 2u * k)) + dot(b, load_x(xv + 2u * k + 1u));
    }
    return s;
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
