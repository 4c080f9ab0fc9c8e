// Writes the K and V rows of a chunk's tokens into the rolling cache: token i (i < step.n_tokens)
// goes to slot (step.pos0 + i) % ring_len. One invocation per pair of values, so that an f16
// cache (two halves per u32 word) is written word by word without races; kv_dim is even.
// `struct Step` is prepended from step.rs (STEP_WGSL); `store_pair` and the cache bindings 4 and 5
// come from kv_store_<storage>.wgsl.

struct KvWriteParams {
    kv_dim: u32,      // values per token row (n_kv_heads * head_dim)
    ring_len: u32,    // slots in the ring
    cap: u32,         // token rows the source buffers hold
    src_stride: u32,  // pairs from one source row to the next (kv_dim / 2, or the fused
                      // [q | k | v] row's)
    k_off: u32,       // pair offset of K within a source row
    v_off: u32,       // pair offset of V within a source row
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: KvWriteParams;
@group(0) @binding(1) var<storage, read> step: Step;
@group(0) @binding(2) var<storage, read> k_src: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> v_src: array<vec2<f32>>;

@compute @workgroup_size(256)
fn kv_write(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = gid.x + gid.y * groups.x * 256u;
    let pairs = params.kv_dim / 2u;
    let token = i / pairs;
    if token >= min(step.n_tokens, params.cap) {
        return;
    }
    let slot = (step.pos0 + token) % params.ring_len;
    let j = i % pairs;
    let row = token * params.src_stride;
    store_pair(slot * pairs + j, k_src[row + params.k_off + j], v_src[row + params.v_off + j]);
}
