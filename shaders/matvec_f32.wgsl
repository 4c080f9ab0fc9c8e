// Dot product of one 32-element F32 block with x[xv*4 ..].
fn block_dot(gb: u32, xv: u32) -> f32 {
    var s = 0.0;
    for (var k = 0u; k < 8u; k++) {
        s += dot(w_f32[gb * 8u + k], x[xv + k]);
    }
    return s;
}
