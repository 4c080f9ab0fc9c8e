// Index of the largest of the n logits of the step's LAST token (row step.n_tokens - 1 of a
// [cap x n] buffer), the first one on ties like the CPU sampler, so that a greedy step reads back
// one u32 instead of a vocabulary of logits. `struct Step` is prepended from step.rs.
// One workgroup: each invocation scans a strided slice in ascending order, then a tree
// reduction keeps the larger value, or the smaller index on equal values.

struct ArgmaxParams {
    n: u32,    // row length (vocabulary)
    cap: u32,  // rows the buffer holds: a step longer than that reads the last one
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: ArgmaxParams;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> result: array<u32>;
@group(0) @binding(3) var<storage, read> step: Step;

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
    let offset = (clamp(step.n_tokens, 1u, params.cap) - 1u) * params.n;
    var bv = 0.0;
    var bi = NONE;
    for (var i = lid; i < params.n; i += ARGMAX_WORKGROUP) {
        let v = values[offset + i];
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
        result[0] = best_index[0];
    }
}
