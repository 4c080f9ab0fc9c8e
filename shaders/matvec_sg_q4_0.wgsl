// Q4_0 block dot of the subgroup matvec (matvec_sg.wgsl): x from one broadcast round, shared
// by the four rows; same arithmetic as matvec_q4_0.wgsl.
fn q4_0_dot_sg(gb: u32, xs: array<vec4<f32>, 8>) -> f32 {
    let w = q4_qs[gb];
    let eight = vec4<f32>(8.0);
    var s = dot(lo_nibbles(w.x) - eight, xs[0]) + dot(hi_nibbles(w.x) - eight, xs[4]);
    s += dot(lo_nibbles(w.y) - eight, xs[1]) + dot(hi_nibbles(w.y) - eight, xs[5]);
    s += dot(lo_nibbles(w.z) - eight, xs[2]) + dot(hi_nibbles(w.z) - eight, xs[6]);
    s += dot(lo_nibbles(w.w) - eight, xs[3]) + dot(hi_nibbles(w.w) - eight, xs[7]);
    return s * q4_scale(gb);
}

fn block_dot4_sg(gb: vec4<u32>, xv: u32, lane: u32) -> vec4<f32> {
    let xs = x_chunk(xv, lane);
    return vec4<f32>(q4_0_dot_sg(gb.x, xs), q4_0_dot_sg(gb.y, xs), q4_0_dot_sg(gb.z, xs), q4_0_dot_sg(gb.w, xs));
}
