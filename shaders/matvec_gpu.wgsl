// Matrix-vector product y = W x for real GPUs (the `gpu` kernel family), over one row-range part
// of a weight tensor in any stored type. Same bindings and parameters as matvec.wgsl (the CPU
// family); completed by quant_<type>.wgsl (weight arrays, BLOCK, weight()) and
// matvec_<type>.wgsl (unit_dot4(): one unit of work of four rows, UNITS_PER_BLOCK per block),
// concatenated after an f16 decoder and common.wgsl.
//
// Shape: a workgroup of 64 invocations computes four rows. Invocation i takes units i, i + 64,
// i + 128, .. of the rows (a unit is 32 or 64 weights), so adjacent invocations read adjacent
// 16-32 byte pieces of each row (coalesced), every x value an invocation loads serves four
// rows, and a 4096 x 4096 matrix runs 1024 workgroups = 65536 invocations. The 64 partial sums
// are added in workgroup memory (a tree), or with subgroupAdd and one pass over the subgroups'
// sums where the device has subgroups (SUBGROUP). Accumulation is f32 throughout.

struct MatvecParams {
    rows: u32,            // rows in this part
    cols: u32,            // logical row length
    blocks_per_row: u32,  // padded row length / BLOCK
    out_offset: u32,      // y index of this part's first row
}

@group(0) @binding(0) var<uniform> params: MatvecParams;
// Binding 1, the input, is read through load_x() (x_input.wgsl).
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

const GEMV_WORKGROUP: u32 = 64u;

var<workgroup> partial: array<vec4<f32>, 64>;

@compute @workgroup_size(64)
fn matvec(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
#ifdef SUBGROUP
    @builtin(subgroup_invocation_id) sg_lane: u32,
    @builtin(subgroup_size) sg_size: u32,
#endif
) {
    // Grids wider than 65535 workgroups wrap into y (see grid_for in Rust). The test is uniform
    // across the workgroup, so the barriers below are reached by all or none.
    let row0 = (wid.x + wid.y * groups.x) * 4u;
    if row0 >= params.rows {
        return;
    }
    // Rows past the end repeat the last row and are not written.
    let last = params.rows - 1u;
    let first = min(vec4<u32>(row0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(last)) * params.blocks_per_row;
    let full_blocks = params.cols / BLOCK;
    let units = full_blocks * UNITS_PER_BLOCK;
    var acc = vec4<f32>(0.0);
    for (var u = lane; u < units; u += GEMV_WORKGROUP) {
        let b = u / UNITS_PER_BLOCK;
        acc += unit_dot4(first + vec4<u32>(b), u % UNITS_PER_BLOCK, b * (BLOCK / 4u));
    }
    // Only float types can have a partial last block (quantized rows are whole blocks).
    let tail = params.cols - full_blocks * BLOCK;
    for (var i = lane; i < tail; i += GEMV_WORKGROUP) {
        let c = full_blocks * BLOCK + i;
        let fb = first + vec4<u32>(full_blocks);
        acc += vec4<f32>(weight(fb.x, i), weight(fb.y, i), weight(fb.z, i), weight(fb.w, i)) * load_x(c >> 2u)[c & 3u];
    }
#ifdef SUBGROUP
    // One sum per subgroup, then the first four invocations add the subgroups' sums of their row.
    // Subgroups are taken to be consecutive runs of local_invocation_index (how every Vulkan,
    // Metal and D3D12 driver lays out a 1-D workgroup; ggml-webgpu assumes the same).
    let s = subgroupAdd(acc);
    if sg_lane == 0u {
        partial[lane / sg_size] = s;
    }
    workgroupBarrier();
    if lane < 4u && row0 + lane <= last {
        var total = 0.0;
        for (var i = 0u; i < (GEMV_WORKGROUP + sg_size - 1u) / sg_size; i++) {
            total += partial[i][lane];
        }
        y[params.out_offset + row0 + lane] = total;
    }
#else
    partial[lane] = acc;
    workgroupBarrier();
    for (var half = GEMV_WORKGROUP / 2u; half > 0u; half >>= 1u) {
        if lane < half {
            partial[lane] += partial[lane + half];
        }
        workgroupBarrier();
    }
    if lane < 4u && row0 + lane <= last {
        y[params.out_offset + row0 + lane] = partial[0][lane];
    }
#endif
}
