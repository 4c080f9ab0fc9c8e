// Matrix-vector product y = W x for one row-range part of a weight tensor, W in any stored
// type. This driver is completed by quant_<type>.wgsl (weight bindings, BLOCK, weight()) and
// matvec_<type>.wgsl (block_dot()), concatenated after common.wgsl.
//
// One invocation computes one row: on lavapipe (a CPU) this beats a workgroup per row by ~1.8x
// (see REFERENCE.md), because each SIMD lane then streams its own row and x is shared.
// Accumulation is f32 throughout.

struct MatvecParams {
    rows: u32,            // rows in this part
    cols: u32,            // logical row length
    blocks_per_row: u32,  // padded row length / BLOCK
    out_offset: u32,      // y index of this part's first row
}

@group(0) @binding(0) var<uniform> params: MatvecParams;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

const MATVEC_WORKGROUP: u32 = 64u;

@compute @workgroup_size(64)
fn matvec(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    // Grids wider than 65535 workgroups wrap into y (see dispatch_grid in Rust).
    let row = gid.x + gid.y * groups.x * MATVEC_WORKGROUP;
    if row >= params.rows {
        return;
    }
    let full_blocks = params.cols / BLOCK;
    let first = row * params.blocks_per_row;
    var acc = 0.0;
    for (var b = 0u; b < full_blocks; b++) {
        acc += block_dot(first + b, b * (BLOCK / 4u));
    }
    // Only float types can have a partial last block (quantized rows are whole blocks).
    let tail = params.cols - full_blocks * BLOCK;
    for (var i = 0u; i < tail; i++) {
        let c = full_blocks * BLOCK + i;
        acc += weight(first + full_blocks, i) * x[c >> 2u][c & 3u];
    }
    y[params.out_offset + row] = acc;
}
