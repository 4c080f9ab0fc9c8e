// Q6_K block dot of the subgroup matvec (matvec_sg.wgsl), the loop of matvec_q6k.wgsl with x
// from broadcasts. For half n, quarter m's x (x[32n + 8m .. + 8]) is one broadcast round; scale
// group `is` uses lanes 4is..4is+3 of each of the four rounds.

// Quarter sums of one row for half n, scale group is; qm = the four x vec4s of quarter m.
fn q6k_group_sg(base: u32, n: u32, is: u32, q0: array<vec4<f32>, 4>, q1: array<vec4<f32>, 4>,
                q2: array<vec4<f32>, 4>, q3: array<vec4<f32>, 4>) -> vec4<f32> {
    let a = q6k[base + 4u * n + is];
    let b = q6k[base + 4u * n + 2u + is];
    let h = q6k[base + 8u + 2u * n + is];
    return q6k_quad(a.x, b.x, h.x, q0[0], q1[0], q2[0], q3[0])
        + q6k_quad(a.y, b.y, h.y, q0[1], q1[1], q2[1], q3[1])
        + q6k_quad(a.z, b.z, h.z, q0[2], q1[2], q2[2], q3[2])
        + q6k_quad(a.w, b.w, h.w, q0[3], q1[3], q2[3], q3[3]);
}

// The four rows' contribution of half n, scale group is.
fn q6k_rows_sg(base: vec4<u32>, n: u32, is: u32, q0: array<vec4<f32>, 4>, q1: array<vec4<f32>, 4>,
               q2: array<vec4<f32>, 4>, q3: array<vec4<f32>, 4>) -> vec4<f32> {
    return vec4<f32>(
        dot(q6k_group_sg(base.x, n, is, q0, q1, q2, q3), q6k_group_scales(base.x, n, is)),
        dot(q6k_group_sg(base.y, n, is, q0, q1, q2, q3), q6k_group_scales(base.y, n, is)),
        dot(q6k_group_sg(base.z, n, is, q0, q1, q2, q3), q6k_group_scales(base.z, n, is)),
        dot(q6k_group_sg(base.w, n, is, q0, q1, q2, q3), q6k_group_scales(base.w, n, is)),
    );
}

fn block_dot4_sg(gb: vec4<u32>, xv: u32, lane: u32) -> vec4<f32> {
    let base = gb * 13u;
    var acc = vec4<f32>(0.0);
    for (var n = 0u; n < 2u; n++) {
        let m0 = x_mine(xv + 32u * n, lane);
        let m1 = x_mine(xv + 32u * n + 8u, lane);
        let m2 = x_mine(xv + 32u * n + 16u, lane);
        let m3 = x_mine(xv + 32u * n + 24u, lane);
        acc += q6k_rows_sg(base, n, 0u, lanes_0_3(m0), lanes_0_3(m1), lanes_0_3(m2), lanes_0_3(m3));
        acc += q6k_rows_sg(base, n, 1u, lanes_4_7(m0), lanes_4_7(m1), lanes_4_7(m2), lanes_4_7(m3));
    }
    let d = vec4<f32>(
        half_of(q6k_d[gb.x >> 1u], gb.x),
        half_of(q6k_d[gb.y >> 1u], gb.y),
        half_of(q6k_d[gb.z >> 1u], gb.z),
        half_of(q6k_d[gb.w >> 1u], gb.w),
    );
    return acc * d;
}
