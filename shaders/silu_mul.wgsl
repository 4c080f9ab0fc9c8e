// The SwiGLU feed-forward gate over a chunk of tokens: out = silu(gate) * up,
// silu(g) = g / (1 + exp(-g)), for the first step.n_tokens rows (rows are contiguous, so the
// chunk is one flat range). `struct Step` is prepended from step.rs (STEP_WGSL).

struct SiluMulParams {
    n: u32,           // values per token
    row_stride: u32,  // values from one gate/up row to the next (n, or 2n for the fused
                      // [gate | up] projection)
    up_offset: u32,   // where up starts in its row (0, or n when fused)
    _pad: u32,
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
    let src = (i / params.n) * params.row_stride + i % params.n;
    let g = gate[src];
    out[i] = g / (1.0 + exp(-g)) * up[src + params.up_offset];
}
