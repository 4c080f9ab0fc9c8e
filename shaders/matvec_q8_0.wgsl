// Dot product of one Q8_0 block with x[xv*4 .. xv*4+32]: y = d * sum(q * x).
fn block_dot(gb: u32, xv: u32) -> f32 {
    var s = 0.0;
    for (var k = 0u; k < 2u; k++) {
        let w = q8_qs[gb * 2u + k];
        let base = xv + 4u * k;
        s += dot(vec4<f32>(i8x4(w.x)), x[base]);
        s += dot(vec4<f32>(i8x4(w.y)), x[base + 1u]);
        s += dot(vec4<f32>(i8x4(w.z)), x[base + 2u]);
        s += dot(vec4<f32>(i8x4(w.w)), x[base + 3u]);
    }
    return s * q8_scale(gb);
}
