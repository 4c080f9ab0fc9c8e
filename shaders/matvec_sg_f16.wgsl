// F16 block dot of the subgroup matvec (matvec_sg.wgsl): x from one broadcast round, shared by
// the four rows; weights decoded as in matvec_f16.wgsl.

// One row: 4 vec4<u32> words of 8 halves each against xs[2k], xs[2k+1].
fn f16_dot_sg(gb: u32, xs: array<vec4<f32>, 8>) -> f32 {
    var s = 0.0;
    for (var k = 0u; k < 4u; k++) {
        let w = w_f16[gb * 4u + k];
        let a = vec4<f32>(f16_pair(w.x), f16_pair(w.y));
        let b = vec4<f32>(f16_pair(w.z), f16_pair(w.w));
        s += dot(a, xs[2u * k]) + dot(b, xs[2u * k + 1u]);
    }
    return s;
}

fn block_dot4_sg(gb: vec4<u32>, xv: u32, lane: u32) -> vec4<f32> {
    let xs = x_chunk(xv, lane);
    return vec4<f32>(f16_dot_sg(gb.x, xs), f16_dot_sg(gb.y, xs), f16_dot_sg(gb.z, xs), f16_dot_sg(gb.w, xs));
}
