// Dot product of one Q4_0 block with x[xv*4 .. xv*4+32]: y = d * sum((q - 8) * x).
// Word c holds bytes 4c..4c+3: low nibbles are weights 4c.., high nibbles weights 16+4c...
fn block_dot(gb: u32, xv: u32) -> f32 {
    let w = q4_qs[gb];
    let eight = vec4<f32>(8.0);
    var s = dot(lo_nibbles(w.x) - eight, load_x(xv)) + dot(hi_nibbles(w.x) - eight, load_x(xv + 4u));
    s += dot(lo_nibbles(w.y) - eight, load_x(xv + 1u)) + dot(hi_nibbles(w.y) - eight, load_x(xv + 5u));
    s += dot(lo_nibbles(w.z) - eight, load_x(xv + 2u)) + dot(hi_nibbles(w.z) - eight, load_x(xv + 6u));
    s += dot(lo_nibbles(w.w) - eight, load_x(xv + 3u)) + dot(hi_nibbles(w.w) - eight, load_x(xv + 7u));
    return s * q4_scale(gb);
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
