// f32 cache storage for the attention kernels: pair `word` of a cache buffer as two f32.

@group(0) @binding(3) var<storage, read> k_cache: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read> v_cache: array<vec2<f32>>;

fn k_pair(word: u32) -> vec2<f32> {
    return k_cache[word];
}

fn v_pair(word: u32) -> vec2<f32> {
    return v_cache[word];
}
