// RoPE and the KV-cache write of a chunk in one dispatch (what llama.cpp's Vulkan backend fuses as
// rope + set_rows). Each token's row holds q at q_off, k at k_off and v at v_off (floats; the
// `[q | k | v]` projection's rows, whether one matmul or several wrote them). Per token, one
// invocation per q pair rotates it in place (attention reads q from the row), and one per K/V
// pair rotates the K pair and stores it with the V pair into ring slot (step.pos0 + t) % ring_len
// (attention reads K and V from the cache only). Angles and rotation as rope.wgsl (included
// before this file with ROPE_KV); store_pair and the cache bindings 4 and 5 come from
// kv_store_<storage>.wgsl; `struct Step` is prepended from step.rs.

struct RopeKvParams {
    head_dim: u32,
    n_heads: u32,
    n_kv_heads: u32,
    row_stride: u32,  // floats from one token's row to the next
    q_off: u32,       // float offsets within a row (even)
    k_off: u32,
    v_off: u32,
    ring_len: u32,
    cap: u32,         // token rows the buffer holds
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: RopeKvParams;
@group(0) @binding(1) var<storage, read> step: Step;
@group(0) @binding(2) var<storage, read> inv_freq: array<f32>;
@group(0) @binding(3) var<storage, read_write> rows: array<vec2<f32>>;

// (a, b) rotated by the angle of frequency i at position pos.
fn rotate(v: vec2<f32>, i: u32, pos: u32) -> vec2<f32> {
    let cs = cos_sin(reduce_angle(f32(pos) * inv_freq[i]));
    return vec2<f32>(v.x * cs.x - v.y * cs.y, v.x * cs.y + v.y * cs.x);
}

@compute @workgroup_size(64)
fn rope_kv(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let half = params.head_dim / 2u;
    let q_pairs = params.n_heads * half;
    let kv_pairs = params.n_kv_heads * half;
    let i = gid.x + gid.y * groups.x * 64u;
    let token = i / (q_pairs + kv_pairs);
    if token >= min(step.n_tokens, params.cap) {
        return;
    }
    let j = i % (q_pairs + kv_pairs);
    let pos = step.pos0 + token;
    let row = token * (params.row_stride / 2u);
    if j < q_pairs {
        let at = row + params.q_off / 2u + j;
        rows[at] = rotate(rows[at], j % half, pos);
        return;
    }
    let p = j - q_pairs;
    let k = rotate(rows[row + params.k_off / 2u + p], p % half, pos);
    let slot = pos % params.ring_len;
    store_pair(slot * kv_pairs + p, k, rows[row + params.v_off / 2u + p]);
}
