// Dot product of one Q4_K block with x[xv*4 .. xv*4+256]:
// sum over sub-blocks j of d*sc_j*sum(q*x) - dmin*m_j*sum(x).
fn block_dot(gb: u32, xv: u32) -> f32 {
    let head = q4k[gb * 9u];
    let dm = f16_pair(head.x);
    let scales = q4k_scales(head);
    let one = vec4<f32>(1.0);
    var acc = 0.0;
    for (var c = 0u; c < 4u; c++) {
        var q_lo = 0.0;
        var x_lo = 0.0;
        var q_hi = 0.0;
        var x_hi = 0.0;
        for (var h = 0u; h < 2u; h++) {
            let w = q4k[gb * 9u + 1u + 2u * c + h];
            for (var k = 0u; k < 4u; k++) {
                // bytes 16h+4k.. of the chunk: weights 64c+16h+4k.. (low), +32 (high)
                let xl = x[xv + 16u * c + 4u * h + k];
                let xh = x[xv + 16u * c + 8u + 4u * h + k];
                q_lo += dot(lo_nibbles(w[k]), xl);
                q_hi += dot(hi_nibbles(w[k]), xh);
                x_lo += dot(xl, one);
                x_hi += dot(xh, one);
            }
        }
        let a = q4k_scale_min(scales, 2u * c);
        let b = q4k_scale_min(scales, 2u * c + 1u);
        acc += dm.x * (a.x * q_lo + b.x * q_hi) - dm.y * (a.y * x_lo + b.y * x_hi);
    }
    return acc;
}
