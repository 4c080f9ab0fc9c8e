// Dot product of one Q4_1 block with x[xv*4 .. xv*4+32]: d * sum(q * x) + m * sum(x).
fn block_dot(gb: u32, xv: u32) -> f32 {
    let w = q41_qs[gb];
    let one = vec4<f32>(1.0);
    var qx = 0.0;
    var sx = 0.0;
    for (var c = 0u; c < 4u; c++) {
        let lo = load_x(xv + c);
        let hi = load_x(xv + 4u + c);
        qx += dot(lo_nibbles(w[c]), lo) + dot(hi_nibbles(w[c]), hi);
        sx += dot(lo + hi, one);
    }
    let dm = f16_pair(q41_dm[gb]);
    return qx * dm.x + sx * dm.y;
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
