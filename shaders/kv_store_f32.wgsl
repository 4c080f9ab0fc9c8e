// f32 cache storage for kv_write.wgsl: a pair of values is stored as they are.

@group(0) @binding(4) var<storage, read_write> k_cache: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> v_cache: array<vec2<f32>>;

fn store_pair(word: u32, k: vec2<f32>, v: vec2<f32>) {
    k_cache[word] = k;
    v_cache[word] = v;
}
