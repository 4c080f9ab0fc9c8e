// Batched matrix product for real GPUs (the `gpu` kernel family): y[t, :] = W x[t, :] for
// t < step.n_tokens, over one row-range part of a weight tensor in any stored type. Same
// bindings and parameters as matmul.wgsl (the CPU family); completed by quant_<type>.wgsl
// (weight arrays 3/4, BLOCK, weight4()), after an f16 decoder and common.wgsl, with `struct
// Step` prepended from step.rs.
//
// Shape: a workgroup of 256 invocations computes a tile of 64 rows x 32 tokens. For each slice
// of 32 columns the tile's weights are dequantised once into workgroup memory (two weight4()
// per invocation: each weight is decoded once per 32 tokens) and the tokens' x into another
// array; then every invocation accumulates its 4 rows x 2 tokens in registers from them. Grid:
// x/y = row tiles (wrapped past 65535), z = token tiles. Accumulation is f32 throughout.

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

const TILE_ROWS: u32 = 64u;
const TILE_TOKENS: u32 = 32u;
// Columns per slice, as vec4s.
const SLICE_V4: u32 = 8u;
// Row stride of the weight tile in vec4s: one more than the slice, so that the 16 invocations
// reading 16 different rows at once hit different banks.
const W_STRIDE: u32 = 9u;

var<workgroup> w_tile: array<vec4<f32>, 576>;  // TILE_ROWS * W_STRIDE
var<workgroup> x_tile: array<vec4<f32>, 256>;  // TILE_TOKENS * SLICE_V4

// x[token, c .. c + 4] with zeros past the row's end, for any row alignment.
fn x_vec4(token: u32, c: u32) -> vec4<f32> {
    let flat = token * params.cols + c;
    if (params.cols & 3u) == 0u && c + 4u <= params.cols {
        return load_x(flat >> 2u);
    }
    var v = vec4<f32>(0.0);
    for (var i = 0u; i < 4u; i++) {
        if c + i < params.cols {
            let f = flat + i;
            v[i] = load_x(f >> 2u)[f & 3u];
        }
    }
    return v;
}

@compute @workgroup_size(256)
fn matmul(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    // Uniform across the workgroup: all of it leaves or none (the barriers below).
    let row_tile = (wid.x + wid.y * groups.x) * TILE_ROWS;
    let t0 = wid.z * TILE_TOKENS;
    if row_tile >= params.rows || t0 >= step.n_tokens {
        return;
    }
    let last_row = params.rows - 1u;
    let last_tok = step.n_tokens - 1u;
    // This invocation's outputs: rows 4 * (lid % 16) .. + 4, tokens 2 * (lid / 16) .. + 2.
    let r_out = 4u * (lid % 16u);
    let t_out = 2u * (lid / 16u);
    var acc0 = vec4<f32>(0.0); // token t_out, four rows
    var acc1 = vec4<f32>(0.0); // token t_out + 1
    // What this invocation loads: weight vec4s lid and lid + 256 of the tile (row, column
    // vec4), and x vec4 lid (token, column vec4). Rows and tokens past the end repeat the last.
    let wr0 = lid / SLICE_V4;
    let wq = lid % SLICE_V4;
    let wrow0 = min(row_tile + wr0, last_row) * params.blocks_per_row;
    let wrow1 = min(row_tile + wr0 + 32u, last_row) * params.blocks_per_row;
    let xt = min(t0 + lid / SLICE_V4, last_tok);
    for (var c0 = 0u; c0 < params.cols; c0 += 4u * SLICE_V4) {
        let c = c0 + 4u * wq;
        // Float rows are padded with zeros to whole blocks, so weights past `cols` are zero
        // (quantized rows are whole blocks); x past `cols` is zeroed by x_vec4.
        var w0 = vec4<f32>(0.0);
        var w1 = vec4<f32>(0.0);
        if c < params.blocks_per_row * BLOCK {
            w0 = weight4(wrow0 + c / BLOCK, c % BLOCK);
            w1 = weight4(wrow1 + c / BLOCK, c % BLOCK);
        }
        w_tile[wr0 * W_STRIDE + wq] = w0;
        w_tile[(wr0 + 32u) * W_STRIDE + wq] = w1;
        x_tile[lid] = x_vec4(xt, c);
        workgroupBarrier();
        for (var q = 0u; q < SLICE_V4; q++) {
            let xa = x_tile[t_out * SLICE_V4 + q];
            let xb = x_tile[(t_out + 1u) * SLICE_V4 + q];
            let m = mat4x4<f32>(
                w_tile[r_out * W_STRIDE + q],
                w_tile[(r_out + 1u) * W_STRIDE + q],
                w_tile[(r_out + 2u) * W_STRIDE + q],
                w_tile[(r_out + 3u) * W_STRIDE + q],
            );
            acc0 += xa * m;
            acc1 += xb * m;
        }
        workgroupBarrier();
    }
    for (var r = 0u; r < 4u; r++) {
        let row = row_tile + r_out + r;
        if row <= last_row {
            if t0 + t_out <= last_tok {
                y[(t0 + t_out) * params.y_stride + params.out_offset + row] = acc0[r];
            }
            if t0 + t_out + 1u <= last_tok {
                y[(t0 + t_out + 1u) * params.y_stride + params.out_offset + row] = acc1[r];
            }
        }
    }
}
