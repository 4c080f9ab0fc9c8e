// The SwiGLU feed-forward gate over a chunk of tokens: out = silu(gate) * up,
// silu(g) = g / (1 + exp(-g)), for the first step.n_tokens rows (rows are contiguous, so the
// chunk is one flat range). `struct Step` is prepended from step.rs (STEP_WGSL).

struct SiluMulParams {
    n: u32,  // values per token
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: SiluMulParams;
@group(0) @binding(1) var<storage, read> step: Step;
@group(0) @binding(2) var<storage, read> gate: array<f32>;
@group(0) @binding(3) var<storage, read> up: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn silu_mul(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = gid.x + gid.y * groups.x * 256u;
    if i >= params.n * step.n_tokens {
        return;
    }
    let g = gate[i];
    out[i] = g / (1.0 + exp(-g)) * up[i];
}
