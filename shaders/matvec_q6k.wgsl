// Dot product of one Q6_K block with x[xv*4 .. xv*4+256]. For each half n and each group of 16
// l values (scale index is = l/16), four quarter sums share the four scales 8n+is+{0,2,4,6}.
// One ql word A (bytes l..l+3), ql word B (bytes l+32..) and qh word H give 16 weights:
// quarter 0 = A&15 | (H&3)<<4, 1 = B&15 | ((H>>2)&3)<<4, 2 = A>>4 | ((H>>4)&3)<<4,
// 3 = B>>4 | ((H>>6)&3)<<4, each minus 32.
fn block_dot(gb: u32, xv: u32) -> f32 {
    let base = gb * 13u;
    let scales = q6k[base + 12u];
    let low4 = 0x0f0f0f0fu;
    let two = 0x30303030u;
    let bias = vec4<f32>(32.0);
    var acc = 0.0;
    for (var n = 0u; n < 2u; n++) {
        for (var is = 0u; is < 2u; is++) {
            var s = vec4<f32>(0.0);
            for (var k = 4u * is; k < 4u * is + 4u; k++) {
                // word k of this half's ql (bytes 4k..), of ql+32, and of qh
                let a = q6k[base + 4u * n + (k >> 2u)][k & 3u];
                let b = q6k[base + 4u * n + 2u + (k >> 2u)][k & 3u];
                let h = q6k[base + 8u + 2u * n + (k >> 2u)][k & 3u];
                let q1 = vec4<f32>(u8x4((a & low4) | ((h << 4u) & two))) - bias;
                let q2 = vec4<f32>(u8x4((b & low4) | ((h << 2u) & two))) - bias;
                let q3 = vec4<f32>(u8x4(((a >> 4u) & low4) | (h & two))) - bias;
                let q4 = vec4<f32>(u8x4(((b >> 4u) & low4) | ((h >> 2u) & two))) - bias;
                let xb = xv + 32u * n + k;
                s += vec4<f32>(dot(q1, x[xb]), dot(q2, x[xb + 8u]), dot(q3, x[xb + 16u]), dot(q4, x[xb + 24u]));
            }
            let t = 8u * n + is;
            let sc = vec4<f32>(q6k_scale(gb, t), q6k_scale(gb, t + 2u), q6k_scale(gb, t + 4u), q6k_scale(gb, t + 6u));
            acc += dot(s, sc);
        }
    }
    return acc * half_of(q6k_d[gb >> 1u], gb);
}
