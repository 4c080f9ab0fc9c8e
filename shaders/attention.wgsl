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

// ---- Query tiles: a GQA group's heads x a few tokens per workgroup (the GPU kernel family) ----
//
// Workgroup (tile, KV head, split): ROWS query rows that read the same K/V, row r being token
// t_first + r / group of query head kv_head * group + r % group; so decode serves a whole GQA
// group from one K/V read (Mistral: 4 heads), and prefill also shares every read among
// ROWS / group consecutive tokens (FlashAttention-2's query tiles). Keys are walked in tiles of
// 64 over the union of the rows' ranges (cut into splits for decode, as attention() above, and
// merged by attention_merge.wgsl); a key outside a row's own range (past it: causal; before its
// window) scores NEG and weighs exactly 0. Per key tile: lane j scores key j against every row
// (q tile in workgroup memory, K read once per lane); lane r < ROWS runs row r's online softmax
// (max, rescale, weights); then lane d accumulates V pair d for every row, one V read serving
// all ROWS. head_dim <= 128 (one pair per lane) and group dividing ROWS (Rust falls back to
// attention() otherwise); 12.3 KiB of workgroup memory, under WebGPU's default 16 KiB.

const ROWS: u32 = 16u;

var<workgroup> qt_sh: array<vec2<f32>, 1024>;   // ROWS x TILE pairs
var<workgroup> pt_sh: array<f32, 1024>;         // ROWS x TILE scores, then weights
var<workgroup> rescale_sh: array<f32, ROWS>;    // per row: accumulator rescale, then 1 / l
var<workgroup> keys_sh: array<u32, TILE>;       // pair offset of each tile key's K/V row

@compute @workgroup_size(64)
fn attention_tiled(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let kv_head = wid.y;
    let split = wid.z;
    let group = params.group;
    let tokens_per_tile = ROWS / group;
    let t_first = wid.x * tokens_per_tile;
    if t_first >= step.n_tokens {
        return;
    }
    let n_rows = min(tokens_per_tile, step.n_tokens - t_first) * group;
    let pairs = params.head_dim / 2u;
    let p_first = step.pos0 + t_first;
    var first = 0u;
    if params.window > 0u && p_first + 1u > params.window {
        first = p_first + 1u - params.window;
    }
    let keys_end = p_first + n_rows / group;
    // Splits as in attention() (decode has one token, so the merge finds the same count).
    let used = splits_in_use(keys_end - first);
    if split >= used {
        return;
    }
    let per = ((keys_end - first + used - 1u) / used + TILE - 1u) / TILE * TILE;
    let key_start = first + split * per;
    let key_end = min(key_start + per, keys_end);
    let kv_off = kv_head * pairs;
    // The rows' queries; rows past n_rows are zeros (their scores are masked anyway).
    for (var r = 0u; r < ROWS; r++) {
        var v = vec2<f32>(0.0);
        if r < n_rows && lid < pairs {
            let token = t_first + r / group;
            let head = kv_head * group + r % group;
            v = q[token * params.q_stride + head * pairs + lid];
        }
        qt_sh[r * TILE + lid] = v;
    }
    workgroupBarrier();

    // Lane r < ROWS: row r's running max and sum. Lane d: V pair d of every row.
    var m = NEG;
    var l = 0.0;
    var acc: array<vec2<f32>, ROWS>;
    for (var t0 = key_start; t0 < key_end; t0 += TILE) {
        let n = min(TILE, key_end - t0);
        var dots: array<f32, ROWS>;
        if lid < n {
            let row = ((t0 + lid) % params.ring_len) * (params.kv_dim / 2u) + kv_off;
            keys_sh[lid] = row;
            for (var d = 0u; d < pairs; d++) {
                let key = k_pair(row + d);
                for (var r = 0u; r < ROWS; r++) {
                    let qv = qt_sh[r * TILE + d];
                    dots[r] += qv.x * key.x + qv.y * key.y;
                }
            }
        }
        // Key j counts for row r (position p_r) when p_r - window < j <= p_r.
        let j = t0 + lid;
        for (var r = 0u; r < ROWS; r++) {
            let p_r = p_first + r / group;
            var visible = lid < n && r < n_rows && j <= p_r;
            if params.window > 0u {
                visible = visible && j + params.window > p_r;
            }
            pt_sh[r * TILE + lid] = select(NEG, dots[r] * params.scale, visible);
        }
        workgroupBarrier();
        if lid < ROWS {
            let row = lid * TILE;
            var tile_max = NEG;
            for (var k = 0u; k < n; k++) {
                tile_max = max(tile_max, pt_sh[row + k]);
            }
            let m_new = max(m, tile_max);
            var sum = 0.0;
            for (var k = 0u; k < n; k++) {
                let s = pt_sh[row + k];
                // A masked key weighs exactly 0, also while m_new is still NEG.
                let e = select(0.0, exp(s - m_new), s > NEG);
                pt_sh[row + k] = e;
                sum += e;
            }
            let rescale = exp(m - m_new);
            rescale_sh[lid] = rescale;
            l = l * rescale + sum;
            m = m_new;
        }
        workgroupBarrier();
        if lid < pairs {
            for (var r = 0u; r < ROWS; r++) {
                acc[r] *= rescale_sh[r];
            }
            for (var k = 0u; k < n; k++) {
                let v = v_pair(keys_sh[k] + lid);
                for (var r = 0u; r < ROWS; r++) {
                    acc[r] += pt_sh[r * TILE + k] * v;
                }
            }
        }
        workgroupBarrier();   // weights and rows are read before the next tile overwrites them
    }

    if used == 1u {
        // Every row saw at least its own key, so l > 0 for r < n_rows.
        if lid < ROWS {
            rescale_sh[lid] = 1.0 / max(l, 1.0e-30);
        }
        workgroupBarrier();
        if lid < pairs {
            for (var r = 0u; r < n_rows; r++) {
                let token = t_first + r / group;
                let head = kv_head * group + r % group;
                out[(token * params.n_heads + head) * pairs + lid] = acc[r] * rescale_sh[r];
            }
        }
        return;
    }
    // Partial softmaxes for attention_merge.wgsl, laid out as attention() writes them. An empty
    // split (key_start >= key_end) leaves m = NEG, l = 0, acc = 0: it weighs nothing.
    let stride = params.head_dim + 2u;
    for (var r = 0u; r < n_rows; r++) {
        let token = t_first + r / group;
        let head = kv_head * group + r % group;
        let base = ((token * params.n_heads + head) * params.n_splits + split) * stride;
        if lid == r {
            partials[base] = m;
            partials[base + 1u] = l;
        }
        if lid < pairs {
            partials[base + 2u + 2u * lid] = acc[r].x;
            partials[base + 3u + 2u * lid] = acc[r].y;
        }
    }
}
