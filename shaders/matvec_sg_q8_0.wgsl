// Q8_0 block dot of the subgroup matvec (matvec_sg.wgsl): x from one broadcast round, shared
// by the four rows; same arithmetic as matvec_q8_0.wgsl.
fn q8_0_dot_sg(gb: u32, xs: array<vec4<f32>, 8>) -> f32 {
    let w0 = q8_qs[gb * 2u];
    let w1 = q8_qs[gb * 2u + 1u];
    var s = dot(vec4<f32>(i8x4(w0.x)), xs[0]) + dot(vec4<f32>(i8x4(w0.y)), xs[1]);
    s += dot(vec4<f32>(i8x4(w0.z)), xs[2]) + dot(vec4<f32>(i8x4(w0.w)), xs[3]);
    s += dot(vec4<f32>(i8x4(w1.x)), xs[4]) + dot(vec4<f32>(i8x4(w1.y)), xs[5]);
    s += dot(vec4<f32>(i8x4(w1.z)), xs[6]) + dot(vec4<f32>(i8x4(w1.w)), xs[7]);
    return s * q8_scale(gb);
}

fn block_dot4_sg(gb: vec4<u32>, xv: u32, lane: u32) -> vec4<f32> {
    let xs = x_chunk(xv, lane);
    return vec4<f32>(q8_0_dot_sg(gb.x, xs), q8_0_dot_sg(gb.y, xs), q8_0_dot_sg(gb.z, xs), q8_0_dot_sg(gb.w, xs));
}
