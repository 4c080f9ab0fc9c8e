// Residual connection in place over a chunk of tokens: acc[t, :] += addend[t, :] for t below
// step.n_tokens. The grid covers the binding's capacity; rows of later tokens stay untouched.
// `struct Step` is prepended from step.rs (STEP_WGSL).

struct AddParams {
    n: u32,  // values per token
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: AddParams;
@group(0) @binding(1) var<storage, read> step: Step;
@group(0) @binding(2) var<storage, read> addend: array<f32>;
@group(0) @binding(3) var<storage, read_write> acc: array<f32>;

@compute @workgroup_size(256)
fn add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = gid.x + gid.y * groups.x * 256u;
    if i >= params.n * step.n_tokens {
        return;
    }
    acc[i] += addend[i];
}
