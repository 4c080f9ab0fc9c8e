// Index of the largest of n values (the first one on ties, like the CPU sampler), so that a
// greedy decode step reads back one u32 instead of a vocabulary of logits. One workgroup: each
// invocation scans a strided slice in ascending order, then a tree reduction keeps the larger
// value, or the smaller index on equal values.

struct ArgmaxParams {
    n: u32,
    offset: u32,   // index of the row's first value in `values`
    out_index: u32, // where in `result` to write
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: ArgmaxParams;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> result: array<u32>;

const ARGMAX_WORKGROUP: u32 = 256u;
const NONE: u32 = 0xffffffffu;
var<workgroup> best_value: array<f32, 256>;
var<workgroup> best_index: array<u32, 256>;

// Whether candidate (v, i) beats the current best (bv, bi).
fn better(v: f32, i: u32, bv: f32, bi: u32) -> bool {
    if i == NONE {
        return false;
    }
    return bi == NONE || v > bv || (v == bv && i < bi);
}

@compute @workgroup_size(256)
fn argmax(@builtin(local_invocation_index) lid: u32) {
    var bv = 0.0;
    var bi = NONE;
    for (var i = lid; i < params.n; i += ARGMAX_WORKGROUP) {
        let v = values[params.offset + i];
        if better(v, i, bv, bi) {
            bv = v;
            bi = i;
        }
    }
    best_value[lid] = bv;
    best_index[lid] = bi;
    workgroupBarrier();
    for (var stride = ARGMAX_WORKGROUP / 2u; stride > 0u; stride >>= 1u) {
        if lid < stride && better(best_value[lid + stride], best_index[lid + stride], best_value[lid], best_index[lid]) {
            best_value[lid] = best_value[lid + stride];
            best_index[lid] = best_index[lid + stride];
        }
        workgroupBarrier();
    }
    if lid == 0u {
        result[params.out_index] = best_index[0];
    }
}
