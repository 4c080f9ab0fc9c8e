// Q4_K block dot of the subgroup matvec (matvec_sg.wgsl), the loop of matvec_q4k.wgsl with x
// from broadcasts: chunk c's low-nibble x (x[16c .. 16c+8]) and high-nibble x (x[16c+8 ..])
// are one broadcast round each; half h of the chunk's bytes uses lanes 4h..4h+3 of both.

// One row's quant sums for chunk c (word pair off, off + 1) against the two halves.
fn q4k_dot32_sg(w0: vec4<u32>, w1: vec4<u32>, a0: array<vec4<f32>, 4>, b0: array<vec4<f32>, 4>,
                a1: array<vec4<f32>, 4>, b1: array<vec4<f32>, 4>) -> vec2<f32> {
    return q4k_dot16(w0, a0[0], a0[1], a0[2], a0[3], b0[0], b0[1], b0[2], b0[3])
        + q4k_dot16(w1, a1[0], a1[1], a1[2], a1[3], b1[0], b1[1], b1[2], b1[3]);
}

fn block_dot4_sg(gb: vec4<u32>, xv: u32, lane: u32) -> vec4<f32> {
    let base = gb * 9u;
    let one = vec4<f32>(1.0);
    var acc = vec4<f32>(0.0);
    for (var c = 0u; c < 4u; c++) {
        let lo = x_mine(xv + 16u * c, lane);
        let hi = x_mine(xv + 16u * c + 8u, lane);
        let a0 = lanes_0_3(lo);
        let b0 = lanes_0_3(hi);
        let a1 = lanes_4_7(lo);
        let b1 = lanes_4_7(hi);
        let xs = vec2<f32>(
            dot(a0[0] + a0[1] + a0[2] + a0[3], one) + dot(a1[0] + a1[1] + a1[2] + a1[3], one),
            dot(b0[0] + b0[1] + b0[2] + b0[3], one) + dot(b1[0] + b1[1] + b1[2] + b1[3], one),
        );
        let off = 1u + 2u * c;
        let q0 = q4k_dot32_sg(q4k[base.x + off], q4k[base.x + off + 1u], a0, b0, a1, b1);
        let q1 = q4k_dot32_sg(q4k[base.y + off], q4k[base.y + off + 1u], a0, b0, a1, b1);
        let q2 = q4k_dot32_sg(q4k[base.z + off], q4k[base.z + off + 1u], a0, b0, a1, b1);
        let q3 = q4k_dot32_sg(q4k[base.w + off], q4k[base.w + off + 1u], a0, b0, a1, b1);
        acc += vec4<f32>(
            q4k_chunk(q4k[base.x], c, q0, xs),
            q4k_chunk(q4k[base.y], c, q1, xs),
            q4k_chunk(q4k[base.z], c, q2, xs),
            q4k_chunk(q4k[base.w], c, q3, xs),
        );
    }
    return acc;
}
