// Subgroup variant of matvec.wgsl: same bindings, parameters, grid and four rows per invocation,
// selected at start-up when the device has subgroups (ops/matvec.rs). Completed by
// quant_<type>.wgsl, matvec_<type>.wgsl (block_dot4, the path for subgroups narrower than 8) and
// matvec_sg_<type>.wgsl (block_dot4_sg), concatenated after an f16 decoder and common.wgsl.
//
// Why: all lanes of a subgroup walk the same blocks in lockstep, so they need the same x. In the
// baseline every lane loads every vec4 of x, and on lavapipe (Mesa 22.3) a load whose offset is
// not provably uniform becomes a per-lane scalar loop. Here lane k of the first eight loads the
// k-th vec4 of each group of eight and subgroupBroadcast hands it to the others: one load per
// lane instead of eight (REFERENCE.md measured 2-3.5x on probe kernels).
//
// Correct for any subgroup size: with 8 or more lanes the values come from lanes 0..7, which
// exist and are active (no invocation leaves before the loop unless its whole workgroup does, so
// a 64-invocation workgroup's subgroups stay full); with fewer lanes the per-lane loads of the
// baseline are used. Broadcast lane ids must be constants in WGSL, hence the spelled-out lanes.
// The naga of wgpu 30 rejects `enable subgroups;` (the browser build prepends it).

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
// Vec4s of x shared per broadcast round: one per lane of the first eight.
const X_LANES: u32 = 8u;

// This lane's share of x[xv .. xv + 8]: lanes 8, 9, .. of wider subgroups repeat lanes 0, 1, ..
fn x_mine(xv: u32, lane: u32) -> vec4<f32> {
    return load_x(xv + (lane & (X_LANES - 1u)));
}

// x[xv .. xv + 4] (lanes 0..3 of a round whose share is `mine`), in every lane.
fn lanes_0_3(mine: vec4<f32>) -> array<vec4<f32>, 4> {
    return array<vec4<f32>, 4>(
        subgroupBroadcast(mine, 0u), subgroupBroadcast(mine, 1u),
        subgroupBroadcast(mine, 2u), subgroupBroadcast(mine, 3u),
    );
}

// x[xv + 4 .. xv + 8] (lanes 4..7), in every lane.
fn lanes_4_7(mine: vec4<f32>) -> array<vec4<f32>, 4> {
    return array<vec4<f32>, 4>(
        subgroupBroadcast(mine, 4u), subgroupBroadcast(mine, 5u),
        subgroupBroadcast(mine, 6u), subgroupBroadcast(mine, 7u),
    );
}

// x[xv .. xv + 8] in every lane.
fn x_chunk(xv: u32, lane: u32) -> array<vec4<f32>, 8> {
    let mine = x_mine(xv, lane);
    let a = lanes_0_3(mine);
    let b = lanes_4_7(mine);
    return array<vec4<f32>, 8>(a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]);
}

@compute @workgroup_size(64)
fn matvec(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(subgroup_invocation_id) lane: u32,
    @builtin(subgroup_size) subgroup_size: u32,
) {
    // Grids wider than 65535 workgroups wrap into y (see grid_for in Rust).
    let index = gid.x + gid.y * groups.x * MATVEC_WORKGROUP;
    // Only whole workgroups leave early (the broadcasts need lanes 0..7 active); invocations
    // past the last row repeat it and write nothing.
    if (index - local) * ROWS_PER_INVOCATION >= params.rows {
        return;
    }
    let row0 = index * ROWS_PER_INVOCATION;
    let last = params.rows - 1u;
    let rows = min(vec4<u32>(row0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(last));
    let first = rows * params.blocks_per_row;
    let full_blocks = params.cols / BLOCK;
    var acc = vec4<f32>(0.0);
    if subgroup_size >= X_LANES {
        for (var b = 0u; b < full_blocks; b++) {
            acc += block_dot4_sg(first + vec4<u32>(b), b * (BLOCK / 4u), lane);
        }
    } else {
        for (var b = 0u; b < full_blocks; b++) {
            acc += block_dot4(first + vec4<u32>(b), b * (BLOCK / 4u));
        }
    }
    // Only float types can have a partial last block (quantized rows are whole blocks); its few
    // values are loaded per lane.
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
