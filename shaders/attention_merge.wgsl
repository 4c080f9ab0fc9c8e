// Merges the partial softmaxes of attention.wgsl's key splits (flash-decoding's second pass):
// with M = max_s m_s and w_s = exp(m_s - M), out = sum_s w_s acc_s / sum_s w_s l_s.
// Workgroup (head, token); the splits are few (keys / 256), so every lane recomputes
// M and the weights instead of sharing them through workgroup memory.
// `struct Step` is prepended from step.rs (STEP_WGSL).

struct AttentionParams {
    n_heads: u32,
    group: u32,
    head_dim: u32,
    kv_dim: u32,
    ring_len: u32,
    window: u32,
    n_splits: u32,
    scale: f32,       // 1 / sqrt(head_dim)
    q_stride: u32,    // pairs from one token's queries to the next (n_heads * head_dim / 2, or
                      // the fused [q | k | v] row's)
    split_keys: u32,  // keys per decode split (ops/attention.rs SplitPolicy)
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: AttentionParams;
@group(0) @binding(1) var<storage, read> step: Step;
@group(0) @binding(2) var<storage, read> partials: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;


// Splits attention.wgsl uses for `keys` keys.
fn splits_in_use(keys: u32) -> u32 {
    return clamp((keys + params.split_keys - 1u) / params.split_keys, 1u, params.n_splits);
}

@compute @workgroup_size(64)
fn attention_merge(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let head = wid.x;
    let token = wid.y;
    if token >= step.n_tokens {
        return;
    }
    // The splits attention.wgsl used for this token's keys; with one it wrote the output itself.
    let p = step.pos0 + token;
    var first = 0u;
    if params.window > 0u && p + 1u > params.window {
        first = p + 1u - params.window;
    }
    let used = splits_in_use(p + 1u - first);
    if used == 1u {
        return;
    }
    let hd = params.head_dim;
    let stride = hd + 2u;
    let base = (token * params.n_heads + head) * params.n_splits * stride;
    var big_m = -1.0e30;
    for (var s = 0u; s < used; s++) {
        big_m = max(big_m, partials[base + s * stride]);
    }
    var total = 0.0;
    for (var s = 0u; s < used; s++) {
        total += partials[base + s * stride + 1u] * exp(partials[base + s * stride] - big_m);
    }
    let o = (token * params.n_heads + head) * hd;
    for (var d = lid; d < hd; d += 64u) {
        var a = 0.0;
        for (var s = 0u; s < used; s++) {
            let b = base + s * stride;
            a += partials[b + 2u + d] * exp(partials[b] - big_m);
        }
        out[o + d] = a / total;
    }
}
