// Batched matrix product for a chunk of tokens: y[t, :] = W x[t, :] for t < step.n_tokens, over
// one row-range part of a weight tensor in any stored type. Completed by quant_<type>.wgsl
// (weight bindings 3/4, BLOCK, weight()), concatenated after an f16 decoder and common.wgsl, with
// `struct Step` prepended from step.rs. Decode (a binding for one token) uses matvec.wgsl instead.
//
// One invocation computes four rows for a group of TOKENS_PER_GROUP tokens (grid z = token
// group): every weight is dequantized once per group and applied to eight tokens, every x load
// serves four rows (on lavapipe one row per invocation was 1.6x slower per token than matvec:
// the x loads dominate there), the 8 x 4 accumulators stay in registers, and the accumulation is
// f32 throughout. A group past the end of the step returns at once; in the last partial group
// the missing tokens re-read the last valid token's x and missing rows repeat the last row (no
// branches in the inner loop); neither is written.

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
// Binding 1, the input, is read through load_x() (x_input.wgsl).
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
// Bindings 3 and 4 are the weight arrays of quant_<type>.wgsl.
@group(0) @binding(5) var<storage, read> step: Step;

const MATMUL_WORKGROUP: u32 = 64u;
const ROWS_PER_INVOCATION: u32 = 4u;
const TOKENS_PER_GROUP: u32 = 8u;

// x[flat], x[flat+1], .., x[flat+3] for any alignment (rows of an odd length start mid-vec4).
fn x_scalar4(flat: u32) -> vec4<f32> {
    let a = flat + 1u;
    let b = flat + 2u;
    let c = flat + 3u;
    return vec4<f32>(load_x(flat >> 2u)[flat & 3u], load_x(a >> 2u)[a & 3u], load_x(b >> 2u)[b & 3u], load_x(c >> 2u)[c & 3u]);
}

// Weights i..i+3 (i % 4 == 0) of the blocks gb (one per row) as the columns of a matrix, so that
// `xv * m` is the four rows' dot products with xv. weight4() decodes four weights with one word
// load and one scale lookup (the scalar weight() per value cost 2-4x more on lavapipe).
fn weights4(gb: vec4<u32>, i: u32) -> mat4x4<f32> {
    return mat4x4<f32>(weight4(gb.x, i), weight4(gb.y, i), weight4(gb.z, i), weight4(gb.w, i));
}

// The four rows' (scale, offset) of sub-block j of blocks gb, as (scales, offsets).
fn sub_scales(gb: vec4<u32>, j: u32) -> mat2x4<f32> {
    let a = sub_scale(gb.x, j);
    let b = sub_scale(gb.y, j);
    let c = sub_scale(gb.z, j);
    let d = sub_scale(gb.w, j);
    return mat2x4<f32>(vec4<f32>(a.x, b.x, c.x, d.x), vec4<f32>(a.y, b.y, c.y, d.y));
}

// weights4() with the sub-block's scales decoded once outside the loop over its weights: only
// the quant words are loaded per four weights (the scale loads and unpacking per four weights
// were most of the matmul's time on lavapipe).
fn scaled4(gb: vec4<u32>, i: u32, s: mat2x4<f32>) -> mat4x4<f32> {
    return mat4x4<f32>(
        quants4(gb.x, i) * s[0].x + vec4<f32>(s[1].x),
        quants4(gb.y, i) * s[0].y + vec4<f32>(s[1].y),
        quants4(gb.z, i) * s[0].z + vec4<f32>(s[1].z),
        quants4(gb.w, i) * s[0].w + vec4<f32>(s[1].w),
    );
}

// Whole blocks, every lane loading its own x.
fn matmul_blocks(first: vec4<u32>, full_blocks: u32, xs: array<u32, 8>, acc: ptr<function, array<vec4<f32>, 8>>) {
    for (var b = 0u; b < full_blocks; b++) {
        let gb = first + vec4<u32>(b);
        for (var j = 0u; j < BLOCK / SUB; j++) {
            let s = sub_scales(gb, j);
            for (var q = 0u; q < SUB / 4u; q++) {
                let i = j * SUB + 4u * q;
                let m = scaled4(gb, i, s);
                let c = b * (BLOCK / 4u) + i / 4u;
                for (var t = 0u; t < TOKENS_PER_GROUP; t++) {
                    (*acc)[t] += load_x((xs[t] >> 2u) + c) * m;
                }
            }
        }
    }
}

@compute @workgroup_size(64)
fn matmul(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
#ifdef SUBGROUP
    @builtin(local_invocation_index) local: u32,
    @builtin(subgroup_invocation_id) lane: u32,
    @builtin(subgroup_size) subgroup_size: u32,
#endif
) {
    // Grids wider than 65535 workgroups wrap into y (see grid_for in Rust).
    let index = gid.x + gid.y * groups.x * MATMUL_WORKGROUP;
    let row0 = index * ROWS_PER_INVOCATION;
    let t0 = wid.z * TOKENS_PER_GROUP;
#ifdef SUBGROUP
    // Only whole workgroups leave early: the broadcasts below need lanes 0..7 active. Rows past
    // the end repeat the last row and are not written.
    if (index - local) * ROWS_PER_INVOCATION >= params.rows || t0 >= step.n_tokens {
        return;
    }
#else
    if row0 >= params.rows || t0 >= step.n_tokens {
        return;
    }
#endif
    let last_row = params.rows - 1u;
    let last_tok = step.n_tokens - 1u;
    let first = min(vec4<u32>(row0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(last_row)) * params.blocks_per_row;
    // Flat x index of each token's row start; tokens past the step repeat the last one.
    var xs: array<u32, 8>;
    for (var t = 0u; t < TOKENS_PER_GROUP; t++) {
        xs[t] = min(t0 + t, last_tok) * params.cols;
    }
    var acc: array<vec4<f32>, 8>;
    // Whole blocks with vec4 loads of x need rows that start on a vec4 (cols % 4 == 0: every
    // real model); otherwise (odd-sized float test tensors) the scalar loop does everything.
    let aligned = (params.cols & 3u) == 0u;
    let full_blocks = select(0u, params.cols / BLOCK, aligned);
#ifdef SUBGROUP
    // All lanes of a subgroup need the same eight x vec4s at each step. Lane k loads token
    // (k mod 8)'s and subgroupBroadcast hands them round: one load per lane instead of eight
    // (on lavapipe a load whose offset is not provably uniform is a per-lane scalar loop).
    // Subgroups narrower than eight lanes take the per-lane loads.
    if subgroup_size >= TOKENS_PER_GROUP {
        let mine = xs[lane & 7u] >> 2u;
        for (var b = 0u; b < full_blocks; b++) {
            let gb = first + vec4<u32>(b);
            for (var j = 0u; j < BLOCK / SUB; j++) {
                let s = sub_scales(gb, j);
                for (var q = 0u; q < SUB / 4u; q++) {
                    let i = j * SUB + 4u * q;
                    let m = scaled4(gb, i, s);
                    let xv = load_x(mine + b * (BLOCK / 4u) + i / 4u);
                    acc[0] += subgroupBroadcast(xv, 0u) * m;
                    acc[1] += subgroupBroadcast(xv, 1u) * m;
                    acc[2] += subgroupBroadcast(xv, 2u) * m;
                    acc[3] += subgroupBroadcast(xv, 3u) * m;
                    acc[4] += subgroupBroadcast(xv, 4u) * m;
                    acc[5] += subgroupBroadcast(xv, 5u) * m;
                    acc[6] += subgroupBroadcast(xv, 6u) * m;
                    acc[7] += subgroupBroadcast(xv, 7u) * m;
                }
            }
        }
    } else {
        matmul_blocks(first, full_blocks, xs, &acc);
    }
#else
    matmul_blocks(first, full_blocks, xs, &acc);
#endif
    // Columns after the whole blocks (float types only: quantized rows are whole blocks), or
    // all columns of an unaligned row, four at a time where possible and then one by one.
    var c = full_blocks * BLOCK;
    for (; c + 4u <= params.cols; c += 4u) {
        let m = weights4(first + vec4<u32>(c / BLOCK), c % BLOCK);
        for (var t = 0u; t < TOKENS_PER_GROUP; t++) {
            acc[t] += x_scalar4(xs[t] + c) * m;
        }
    }
    for (; c < params.cols; c++) {
        let gb = first + vec4<u32>(c / BLOCK);
        let i = c % BLOCK;
        let w = vec4<f32>(weight(gb.x, i), weight(gb.y, i), weight(gb.z, i), weight(gb.w, i));
        for (var t = 0u; t < TOKENS_PER_GROUP; t++) {
            let f = xs[t] + c;
            acc[t] += w * load_x(f >> 2u)[f & 3u];
        }
    }
    for (var t = 0u; t < TOKENS_PER_GROUP; t++) {
        for (var r = 0u; r < ROWS_PER_INVOCATION; r++) {
            if t0 + t <= last_tok && row0 + r <= last_row {
                y[(t0 + t) * params.y_stride + params.out_offset + row0 + r] = acc[t][r];
            }
        }
    }
}
