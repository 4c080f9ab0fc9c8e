// The input of the matrix kernels (matvec*.wgsl, matmul*.wgsl): binding 1, read through
// load_x(i), the i-th vec4 of the flat [tokens x cols] input. Included after the driver (it
// reads params.cols).
#ifdef SILU_X
// SwiGLU fused into the down projection: binding 1 holds the [gate | up] rows of the fused
// gate/up projection (2 x cols values per token) and x = silu(gate) * up is computed as it is
// loaded, with silu_mul.wgsl's formula (silu(g) = g / (1 + exp(-g))). cols % 4 == 0 (checked in
// Rust), so a vec4 never straddles the two halves.
@group(0) @binding(1) var<storage, read> gate_up: array<vec4<f32>>;

fn load_x(i: u32) -> vec4<f32> {
    let cols4 = params.cols / 4u;
    // Token t's x row starts at t * cols4; its [gate | up] row at 2 t cols4.
    let at = i + (i / cols4) * cols4;
    let g = gate_up[at];
    return g / (vec4<f32>(1.0) + exp(-g)) * gate_up[at + cols4];
}
#else
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;

fn load_x(i: u32) -> vec4<f32> {
    return x[i];
}
#endif
