// F32 block dot of the subgroup matvec (matvec_sg.wgsl): the block's eight vec4s of x come
// from one broadcast round and are shared by the four rows.
fn block_dot4_sg(gb: vec4<u32>, xv: u32, lane: u32) -> vec4<f32> {
    let xs = x_chunk(xv, lane);
    var s = vec4<f32>(0.0);
    for (var k = 0u; k < 8u; k++) {
        let xk = xs[k];
        s += vec4<f32>(
            dot(w_f32[gb.x * 8u + k], xk),
            dot(w_f32[gb.y * 8u + k], xk),
            dot(w_f32[gb.z * 8u + k], xk),
            dot(w_f32[gb.w * 8u + k], xk),
        );
    }
    return s;
}
