// Attention of a chunk's queries over the rolling KV cache, for decode and prefill alike.
//
// Workgroup (split, head, token): query token i sits at absolute position p = step.pos0 + i and
// attends to the keys j in [first, p], first = max(0, p - window + 1) (0 without a window); key j
// lives in ring slot j % ring_len. The caller wrote this chunk's K/V before (kv_write) and sized
// the ring so that nothing a query needs was overwritten. The keys are cut into n_splits ranges
// so that decode, one query per head, still fills the GPU over a long window (flash-decoding);
// with one split the kernel writes the normalised output, otherwise its partial softmax (max m,
// sum l, unnormalised V sum) for attention_merge.wgsl.
//
// Each range is walked in tiles of 64 keys with an online softmax: a lane scores one key of the
// tile (q from workgroup memory, K read as pairs), the tile's max rescales the running sum and
// accumulator, and each lane then accumulates V for the pairs of dimensions it owns
// (2*lane + 128*c). Everything is f32; K/V pairs come from kv_load_<storage>.wgsl (bindings 3, 4).
// `struct Step` is prepended from step.rs (STEP_WGSL).

struct AttentionParams {
    n_heads: u32,
    group: u32,       // query heads per KV head (GQA): head h reads KV head h / group
    head_dim: u32,    // even, at most 256
    kv_dim: u32,      // n_kv_heads * head_dim, the length of a cache row
    ring_len: u32,
    window: u32,      // 0: no window
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
@group(0) @binding(2) var<storage, read> q: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> out: array<vec2<f32>>;
// [token][head][split][m, l, acc[head_dim]]; only written when n_splits > 1.
@group(0) @binding(6) var<storage, read_write> partials: array<f32>;

const TILE: u32 = 64u;

// Splits in use for `keys` keys (also in attention_merge.wgsl).
fn splits_in_use(keys: u32) -> u32 {
    return clamp((keys + params.split_keys - 1u) / params.split_keys, 1u, params.n_splits);
}
const MAX_PAIRS: u32 = 128u;           // head_dim <= 256
const PAIR_GROUPS: u32 = MAX_PAIRS / TILE;
// Below any real score; exp(NEG - m) is 0 and NEG - NEG never meets an infinity (no NaN).
const NEG: f32 = -1.0e30;

var<workgroup> q_sh: array<vec2<f32>, MAX_PAIRS>;
var<workgroup> p_sh: array<f32, TILE>;
var<workgroup> row_sh: array<u32, TILE>;   // pair offset of each tile key's K/V row

@compute @workgroup_size(64)
fn attention(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let split = wid.x;
    let head = wid.y;
    let token = wid.z;
    if token >= step.n_tokens {
        return;
    }
    let pairs = params.head_dim / 2u;
    let p = step.pos0 + token;
    var first = 0u;
    if params.window > 0u && p + 1u > params.window {
        first = p + 1u - params.window;
    }
    // The splits in use follow the keys present now (flash-decoding split by the current
    // length, not the window): one per split_keys keys, at most the bound n_splits. The others
    // leave at once (uniform per workgroup, before any barrier) and the merge skips them.
    let used = splits_in_use(p + 1u - first);
    if split >= used {
        return;
    }
    // Split s takes keys [first + s * per, first + (s + 1) * per): the keys spread evenly over
    // the splits in use (per is a whole number of tiles); a trailing split may be empty.
    let per = ((p + 1u - first + used - 1u) / used + TILE - 1u) / TILE * TILE;
    let start = first + split * per;
    let end = min(start + per, p + 1u);
    let kv_off = (head / params.group) * pairs;
    let q_off = token * params.q_stride + head * pairs;
    let out_off = (token * params.n_heads + head) * pairs;  // out is [token][head][head_dim]
    for (var d = lid; d < pairs; d += TILE) {
        q_sh[d] = q[q_off + d];
    }
    workgroupBarrier();

    var m = NEG;
    var l = 0.0;
    var acc: array<vec2<f32>, PAIR_GROUPS>;
    for (var t0 = start; t0 < end; t0 += TILE) {
        let n = min(TILE, end - t0);
        var s = NEG;
        if lid < n {
            let row = ((t0 + lid) % params.ring_len) * (params.kv_dim / 2u) + kv_off;
            row_sh[lid] = row;
            var dot = 0.0;
            for (var d = 0u; d < pairs; d++) {
                let k = k_pair(row + d);
                dot += q_sh[d].x * k.x + q_sh[d].y * k.y;
            }
            s = dot * params.scale;
        }
        p_sh[lid] = s;
        workgroupBarrier();
        var tile_max = NEG;
        for (var j = 0u; j < n; j++) {
            tile_max = max(tile_max, p_sh[j]);
        }
        let m_new = max(m, tile_max);
        let correction = exp(m - m_new);
        workgroupBarrier();   // every lane has read the scores before they become weights
        p_sh[lid] = exp(s - m_new);
        workgroupBarrier();
        var tile_sum = 0.0;
        for (var j = 0u; j < n; j++) {
            tile_sum += p_sh[j];
        }
        l = l * correction + tile_sum;
        for (var c = 0u; c < PAIR_GROUPS; c++) {
            let d = lid + c * TILE;
            if d < pairs {
                var a = acc[c] * correction;
                for (var j = 0u; j < n; j++) {
                    a += p_sh[j] * v_pair(row_sh[j] + d);
                }
                acc[c] = a;
            }
        }
        m = m_new;
        workgroupBarrier();   // the tile's weights and rows are read before the next tile
    }

    if used == 1u {
        // At least key p itself was seen, so l > 0. (With several bound splits the merge sees
        // one in use and leaves this output alone.)
        for (var c = 0u; c < PAIR_GROUPS; c++) {
            let d = lid + c * TILE;
            if d < pairs {
                out[out_off + d] = acc[c] / l;
            }
        }
        return;
    }
    // An empty split (start >= end) leaves m = NEG, l = 0, acc = 0: it weighs nothing in the merge.
    let base = ((token * params.n_heads + head) * params.n_splits + split) * (params.head_dim + 2u);
    if lid == 0u {
        partials[base] = m;
        partials[base + 1u] = l;
    }
    for (var c = 0u; c < PAIR_GROUPS; c++) {
        let d = lid + c * TILE;
        if d < pairs {
            partials[base + 2u + 2u * d] = acc[c].x;
            partials[base + 3u + 2u * d] = acc[c].y;
        }
    }
}
