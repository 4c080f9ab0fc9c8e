// The k largest of the n logits of the step's LAST token (row step.n_tokens - 1 of a [cap x n]
// buffer), sorted, so that a sampled step reads back 2k u32 instead of a vocabulary of logits.
// Order: value descending, index ascending on ties, NaN ranked as -inf (it can never be
// sampled, and a total order keeps the result deterministic). `struct Step` is prepended.
//
// One workgroup, k rounds. Each round every invocation finds the best element of its strided
// slice among those strictly after the previous pick in that order, then a tree reduction picks
// the global best. Comparisons use an order-preserving u32 key rather than floats, so NaN and
// -0.0 handling cannot depend on a driver's float optimizations.
//
// result[0..k] = indices, result[k..2k] = f32 bits of the logits (NaN written as -inf). When
// k > n the row is shorter than asked: slots n..k hold index 0xffffffff and -inf.

struct TopKParams {
    n: u32,    // row length (vocabulary)
    cap: u32,  // rows the buffer holds: a step longer than that reads the last one
    k: u32,    // how many to select (<= 64, checked on the host)
    _pad0: u32,
}

@group(0) @binding(0) var<uniform> params: TopKParams;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> result: array<u32>;
@group(0) @binding(3) var<storage, read> step: Step;

const TOPK_WORKGROUP: u32 = 256u;
const NONE: u32 = 0xffffffffu;
const NEG_INF_BITS: u32 = 0xff800000u;
// order_key(-inf): NaN gets it too.
const NEG_INF_KEY: u32 = 0x007fffffu;
var<workgroup> best_key: array<u32, 256>;
var<workgroup> best_index: array<u32, 256>;

fn is_nan_bits(bits: u32) -> bool {
    return (bits & 0x7fffffffu) > 0x7f800000u;
}

// Monotonic map of f32 to u32: negative values reversed below the positives. -0.0 maps to +0.0
// (they compare equal as floats, so index decides between them).
fn order_key(v: f32) -> u32 {
    let bits = bitcast<u32>(v);
    if is_nan_bits(bits) {
        return NEG_INF_KEY;
    }
    if bits == 0x80000000u {
        return 0x80000000u;
    }
    if (bits & 0x80000000u) != 0u {
        return ~bits;
    }
    return bits | 0x80000000u;
}

// Whether candidate (key, i) comes before the current best (bk, bi).
fn better(key: u32, i: u32, bk: u32, bi: u32) -> bool {
    if i == NONE {
        return false;
    }
    return bi == NONE || key > bk || (key == bk && i < bi);
}

@compute @workgroup_size(256)
fn topk(@builtin(local_invocation_index) lid: u32) {
    let offset = (clamp(step.n_tokens, 1u, params.cap) - 1u) * params.n;
    let rounds = min(params.k, params.n);
    // Before the first round everything remains: no key reaches NONE (+inf's key is 0xff800000).
    var prev_key = NONE;
    var prev_index = 0u;
    for (var r = 0u; r < rounds; r++) {
        var bk = 0u;
        var bi = NONE;
        for (var i = lid; i < params.n; i += TOPK_WORKGROUP) {
            let key = order_key(values[offset + i]);
            let remaining = key < prev_key || (key == prev_key && i > prev_index);
            if remaining && better(key, i, bk, bi) {
                bk = key;
                bi = i;
            }
        }
        best_key[lid] = bk;
        best_index[lid] = bi;
        workgroupBarrier();
        for (var stride = TOPK_WORKGROUP / 2u; stride > 0u; stride >>= 1u) {
            if lid < stride && better(best_key[lid + stride], best_index[lid + stride], best_key[lid], best_index[lid]) {
                best_key[lid] = best_key[lid + stride];
                best_index[lid] = best_index[lid + stride];
            }
            workgroupBarrier();
        }
        prev_key = best_key[0];
        prev_index = best_index[0];
        if lid == 0u {
            result[r] = prev_index;
            let bits = bitcast<u32>(values[offset + prev_index]);
            result[params.k + r] = select(bits, NEG_INF_BITS, is_nan_bits(bits));
        }
        // Everyone has read the pick before the next round overwrites the scratch.
        workgroupBarrier();
    }
    if lid == 0u {
        for (var r = rounds; r < params.k; r++) {
            result[r] = NONE;
            result[params.k + r] = NEG_INF_BITS;
        }
    }
}
