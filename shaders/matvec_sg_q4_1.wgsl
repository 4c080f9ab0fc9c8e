// Q4_1 block dot of the subgroup matvec (matvec_sg.wgsl): x from one broadcast round, shared
// by the four rows, and so is sum(x) (computed once per block, not per row).
fn q4_1_dot_sg(gb: u32, xs: array<vec4<f32>, 8>, sx: f32) -> f32 {
    let w = q41_qs[gb];
    var qx = dot(lo_nibbles(w.x), xs[0]) + dot(hi_nibbles(w.x), xs[4]);
    qx += dot(lo_nibbles(w.y), xs[1]) + dot(hi_nibbles(w.y), xs[5]);
    qx += dot(lo_nibbles(w.z), xs[2]) + dot(hi_nibbles(w.z), xs[6]);
    qx += dot(lo_nibbles(w.w), xs[3]) + dot(hi_nibbles(w.w), xs[7]);
    let dm = f16_pair(q41_dm[gb]);
    return qx * dm.x + sx * dm.y;
}

fn block_dot4_sg(gb: vec4<u32>, xv: u32, lane: u32) -> vec4<f32> {
    let xs = x_chunk(xv, lane);
    let sx = dot((xs[0] + xs[4]) + (xs[1] + xs[5]) + (xs[2] + xs[6]) + (xs[3] + xs[7]), vec4<f32>(1.0));
    return vec4<f32>(
        q4_1_dot_sg(gb.x, xs, sx),
        q4_1_dot_sg(gb.y, xs, sx),
        q4_1_dot_sg(gb.z, xs, sx),
        q4_1_dot_sg(gb.w, xs, sx),
    );
}
