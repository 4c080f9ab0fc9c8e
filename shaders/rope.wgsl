// Rotary position embedding in place, on ADJACENT pairs (x[2i], x[2i+1]) of each head (the GGUF
// convention). Token t of the chunk is at position step.pos0 + t, read from the step buffer so
// that nothing is rebuilt per step; tokens from step.n_tokens on are skipped.
// inv_freq[i] = 1 / theta^(2i/head_dim) is computed once on the CPU in f32 exactly as the
// reference does; the angle is the same f32 product. Angles reach
// thousands of radians, where GPU sin/cos lose accuracy, so they are first reduced to
// [-pi, pi] with 2*pi split in pieces whose products with k are exact (Cody-Waite).
// Even there the built-in sin/cos may be off by 2^-11 (WGSL's allowance; SwiftShader, Chromium's
// CPU WebGPU, is ~2e-4 off, which costs 3e-4 relative in the logits), so they are evaluated here
// with polynomials instead (Cephes sinf/cosf on [-pi/4, pi/4], ~1e-7).

// `struct Step` is prepended from step.rs (STEP_WGSL). With ROPE_KV only the angle helpers are
// kept, for rope_kv.wgsl.

#ifndef ROPE_KV
struct RopeParams {
    head_dim: u32,
    n_heads: u32,     // heads rotated per token
    row_stride: u32,  // floats from one token's row to the next (>= n_heads * head_dim): the
                      // fused [q | k | v] projection rotates its q and k heads in one dispatch
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: RopeParams;
@group(0) @binding(1) var<storage, read> step: Step;
@group(0) @binding(2) var<storage, read> inv_freq: array<f32>;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;

#endif

// 2*pi = TWO_PI_A + TWO_PI_B + TWO_PI_C + TWO_PI_D; A, B, C have 8 significant bits, so k * A
// etc. are exact for k < 2^16 (angles below ~4e5 rad: positions up to ~400k at inv_freq 1).
const TWO_PI_A: f32 = 6.28125;
const TWO_PI_B: f32 = 0.00193023681640625;
const TWO_PI_C: f32 = 5.066394805908203e-06;
const TWO_PI_D: f32 = 3.968374073792802e-09;
const INV_TWO_PI: f32 = 0.15915493667125702;

fn reduce_angle(a: f32) -> f32 {
    let k = round(a * INV_TWO_PI);
    return (((a - k * TWO_PI_A) - k * TWO_PI_B) - k * TWO_PI_C) - k * TWO_PI_D;
}

// pi/2 = HALF_PI_A + HALF_PI_B + HALF_PI_C; j * HALF_PI_A and j * HALF_PI_B are exact for |j| <= 2.
const HALF_PI_A: f32 = 1.5703125;
const HALF_PI_B: f32 = 4.837512969970703e-4;
const HALF_PI_C: f32 = 7.549789954891882e-8;
const TWO_OVER_PI: f32 = 0.6366197723675814;

// (cos a, sin a) for a in [-pi, pi].
fn cos_sin(a: f32) -> vec2<f32> {
    let j = round(a * TWO_OVER_PI);
    let r = ((a - j * HALF_PI_A) - j * HALF_PI_B) - j * HALF_PI_C;  // |r| <= pi/4
    let z = r * r;
    let s = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
    let c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
    // a = r + j * pi/2: rotate (cos r, sin r) by the quadrant.
    switch (i32(j) + 4) % 4 {
        case 1: { return vec2<f32>(-s, c); }
        case 2: { return vec2<f32>(-c, -s); }
        case 3: { return vec2<f32>(s, -c); }
        default: { return vec2<f32>(c, s); }
    }
}

#ifndef ROPE_KV
@compute @workgroup_size(64)
fn rope(@builtin(global_invocation_id) gid: vec3<u32>) {
    let half = params.head_dim / 2u;
    let pair = gid.x;  // pair index within the token, over all heads
    let t = gid.y;
    if pair >= params.n_heads * half || t >= step.n_tokens {
        return;
    }
    let i = pair % half;
    let angle = reduce_angle(f32(step.pos0 + t) * inv_freq[i]);
    let cs = cos_sin(angle);
    let c = cs.x;
    let s = cs.y;
    let base = t * params.row_stride + 2u * pair;
    let a = x[base];
    let b = x[base + 1u];
    x[base] = a * c - b * s;
    x[base + 1u] = a * s + b * c;
}
#endif
