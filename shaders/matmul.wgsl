// Batched matrix product for a chunk of tokens: y[t, :] = W x[t, :] for t < step.n_tokens, over
// one row-range part of a weight tensor in any stored type. Completed by quant_<type>.wgsl
// (weight bindings 3/4, BLOCK, weight()), concatenated after an f16 decoder and common.wgsl, with
// `struct Step` prepended from step.rs. Decode (a binding for one token) uses matvec.wgsl instead.
//
// One invocation computes one row for a group of TOKENS_PER_GROUP tokens (grid z = token group):
// every weight is dequantized once per group and applied to eight tokens, the accumulators are
// two vec4s in registers, and the accumulation is f32 throughout. A group past the end of the
// step returns at once; in the last partial group the missing tokens re-read the last valid
// token's x (no branches in the inner loop) and are not written.

struct MatmulParams {
    rows: u32,            // rows in this part
    cols: u32,            // logical row length (x row stride)
    blocks_per_row: u32,  // padded row length / BLOCK
    out_offset: u32,      // column of y (row of W) of this part's first row
    y_stride: u32,        // values per token in y (all rows of W)
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: MatmulParams;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
// Bindings 3 and 4 are the weight arrays of quant_<type>.wgsl.
@group(0) @binding(5) var<storage, read> step: Step;

const MATMUL_WORKGROUP: u32 = 64u;
const TOKENS_PER_GROUP: u32 = 8u;

// x[flat], x[flat+1], .., x[flat+3] for any alignment (rows of an odd length start mid-vec4).
fn x_scalar4(flat: u32) -> vec4<f32> {
    let a = flat + 1u;
    let b = flat + 2u;
    let c = flat + 3u;
    return vec4<f32>(x[flat >> 2u][flat & 3u], x[a >> 2u][a & 3u], x[b >> 2u][b & 3u], x[c >> 2u][c & 3u]);
}

@compute @workgroup_size(64)
fn matmul(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    // Grids wider than 65535 workgroups wrap into y (see grid_for in Rust).
    let row = gid.x + gid.y * groups.x * MATMUL_WORKGROUP;
    let t0 = wid.z * TOKENS_PER_GROUP;
    if row >= params.rows || t0 >= step.n_tokens {
        return;
    }
    let last = step.n_tokens - 1u;
    // Flat x index of each token's row start; tokens past the step repeat the last one.
    let tok_a = min(vec4<u32>(t0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(last));
    let tok_b = min(vec4<u32>(t0) + vec4<u32>(4u, 5u, 6u, 7u), vec4<u32>(last));
    let xa = tok_a * params.cols;
    let xb = tok_b * params.cols;
    let first = row * params.blocks_per_row;
    var acc_a = vec4<f32>(0.0);
    var acc_b = vec4<f32>(0.0);
    // Whole blocks with vec4 loads of x need rows that start on a vec4 (cols % 4 == 0: every
    // real model); otherwise (odd-sized float test tensors) the scalar loop does everything.
    let aligned = (params.cols & 3u) == 0u;
    let full_blocks = select(0u, params.cols / BLOCK, aligned);
    let va = xa >> vec4<u32>(2u);
    let vb = xb >> vec4<u32>(2u);
    for (var b = 0u; b < full_blocks; b++) {
        let gb = first + b;
        for (var q = 0u; q < BLOCK / 4u; q++) {
            let i = 4u * q;
            let w = vec4<f32>(weight(gb, i), weight(gb, i + 1u), weight(gb, i + 2u), weight(gb, i + 3u));
            let c = b * (BLOCK / 4u) + q;
            acc_a += vec4<f32>(dot(w, x[va.x + c]), dot(w, x[va.y + c]), dot(w, x[va.z + c]), dot(w, x[va.w + c]));
            acc_b += vec4<f32>(dot(w, x[vb.x + c]), dot(w, x[vb.y + c]), dot(w, x[vb.z + c]), dot(w, x[vb.w + c]));
        }
    }
    // Columns after the whole blocks (float types only: quantized rows are whole blocks), or
    // all columns of an unaligned row, four at a time where possible and then one by one.
    var c = full_blocks * BLOCK;
    for (; c + 4u <= params.cols; c += 4u) {
        let gb = first + c / BLOCK;
        let i = c % BLOCK;
        let w = vec4<f32>(weight(gb, i), weight(gb, i + 1u), weight(gb, i + 2u), weight(gb, i + 3u));
        acc_a += vec4<f32>(dot(w, x_scalar4(xa.x + c)), dot(w, x_scalar4(xa.y + c)), dot(w, x_scalar4(xa.z + c)), dot(w, x_scalar4(xa.w + c)));
        acc_b += vec4<f32>(dot(w, x_scalar4(xb.x + c)), dot(w, x_scalar4(xb.y + c)), dot(w, x_scalar4(xb.z + c)), dot(w, x_scalar4(xb.w + c)));
    }
    for (; c < params.cols; c++) {
        let w = weight(first + c / BLOCK, c % BLOCK);
        let fa = xa + vec4<u32>(c);
        let fb = xb + vec4<u32>(c);
        acc_a += w * vec4<f32>(x[fa.x >> 2u][fa.x & 3u], x[fa.y >> 2u][fa.y & 3u], x[fa.z >> 2u][fa.z & 3u], x[fa.w >> 2u][fa.w & 3u]);
        acc_b += w * vec4<f32>(x[fb.x >> 2u][fb.x & 3u], x[fb.y >> 2u][fb.y & 3u], x[fb.z >> 2u][fb.z & 3u], x[fb.w >> 2u][fb.w & 3u]);
    }
    let out = params.out_offset + row;
    for (var t = 0u; t < 4u; t++) {
        if t0 + t <= last {
            y[(t0 + t) * params.y_stride + out] = acc_a[t];
        }
        if t0 + 4u + t <= last {
            y[(t0 + 4u + t) * params.y_stride + out] = acc_b[t];
        }
    }
}
