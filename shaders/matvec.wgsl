// Matrix-vector product y = W x for one row-range part of a weight tensor, W in any stored
// type. This driver is completed by quant_<type>.wgsl (weight bindings, BLOCK, weight()) and
// matvec_<type>.wgsl (block_dot4(): one block of four rows against the same x), concatenated
// after an f16 decoder and common.wgsl.
//
// One invocation computes four rows: on lavapipe (a CPU) an invocation per row beats a workgroup
// per row (each SIMD lane streams its own row), and four rows per invocation share every x load
// (4096x4096 under the same load: Q8_0 2.0 -> 4.3 GB/s, Q4_0 0.8 -> 1.8). Real GPUs prefer coalesced
// loads (a workgroup per row); that variant is not written yet. Accumulation is f32 throughout.

struct MatvecParams {
    rows: u32,            // rows in this part
    cols: u32,            // logical row length
    blocks_per_row: u32,  // padded row length / BLOCK
    out_offset: u32,      // y index of this part's first row
}

@group(0) @binding(0) var<uniform> params: MatvecParams;
// Binding 1, the input, is read through load_x() (x_input.wgsl).
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

const MATVEC_WORKGROUP: u32 = 64u;
const ROWS_PER_INVOCATION: u32 = 4u;

@compute @workgroup_size(64)
fn matvec(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    // Grids wider than 65535 workgroups wrap into y (see grid_for in Rust).
    let index = gid.x + gid.y * groups.x * MATVEC_WORKGROUP;
    let row0 = index * ROWS_PER_INVOCATION;
    if row0 >= params.rows {
        return;
    }
    // Four rows per invocation share every load of x (on lavapipe the x loads, not the weight
    // bytes, dominate). Rows past the end repeat the last row and are not written.
    let last = params.rows - 1u;
    let rows = min(vec4<u32>(row0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(last));
    let first = rows * params.blocks_per_row;
    let full_blocks = params.cols / BLOCK;
    var acc = vec4<f32>(0.0);
    for (var b = 0u; b < full_blocks; b++) {
        let xv = b * (BLOCK / 4u);
        acc += block_dot4(first + vec4<u32>(b), xv);
    }
    // Only float types can have a partial last block (quantized rows are whole blocks).
    let tail = params.cols - full_blocks * BLOCK;
    for (var i = 0u; i < tail; i++) {
        let c = full_blocks * BLOCK + i;
        let fb = first + vec4<u32>(full_blocks);
        acc += vec4<f32>(weight(fb.x, i), weight(fb.y, i), weight(fb.z, i), weight(fb.w, i)) * load_x(c >> 2u)[c & 3u];
    }
    for (var r = 0u; r < ROWS_PER_INVOCATION; r++) {
        if row0 + r <= last {
            y[params.out_offset + row0 + r] = acc[r];
        }
    }
}
