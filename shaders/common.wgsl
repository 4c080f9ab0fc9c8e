// Helpers shared by the weight decoders (quant_*.wgsl). Prepended to every module that reads
// quantized weights. Weights arrive as u32 words (WebGPU has no 8- or 16-bit storage types in
// the baseline), so bytes are picked with shifts and f16 values with f16_pair(), which
// f16_unpack.wgsl or f16_bits.wgsl provides.

// Byte `i & 3` of a little-endian word.
fn byte_of(word: u32, i: u32) -> u32 {
    return (word >> (8u * (i & 3u))) & 0xffu;
}

// The four bytes of a word as signed integers (two's complement sign extension).
fn i8x4(word: u32) -> vec4<i32> {
    let w = vec4<u32>(word << 24u, word << 16u, word << 8u, word);
    return bitcast<vec4<i32>>(w) >> vec4<u32>(24u);
}

// The four bytes of a word as unsigned integers.
fn u8x4(word: u32) -> vec4<u32> {
    return (vec4<u32>(word) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(0xffu);
}

// The low nibbles of the four bytes of a word, as floats.
fn lo_nibbles(word: u32) -> vec4<f32> {
    return nibbles_f32(word, 0u);
}

// The high nibbles of the four bytes of a word, as floats.
fn hi_nibbles(word: u32) -> vec4<f32> {
    return nibbles_f32(word, 4u);
}

// Element `i & 1` of an f16 pair packed in a word.
fn half_of(pair: u32, i: u32) -> f32 {
    let v = f16_pair(pair);
    return select(v.x, v.y, (i & 1u) == 1u);
}

// Small unsigned integers (< 2^23) as exact floats without an int-to-float conversion (a
// quarter- to eighth-rate instruction on some GPUs): 2^23 + v has v in its mantissa.
fn small_to_f32(v: vec4<u32>) -> vec4<f32> {
    return bitcast<vec4<f32>>(v | vec4<u32>(0x4b000000u)) - vec4<f32>(8388608.0);
}

// Nibbles (shift 0: low, 4: high) of the four bytes of a word, as exact floats.
fn nibbles_f32(word: u32, shift: u32) -> vec4<f32> {
    return small_to_f32((vec4<u32>(word) >> (vec4<u32>(0u, 8u, 16u, 24u) + vec4<u32>(shift))) & vec4<u32>(0xfu));
}

// The four bytes of a word as signed values, as exact floats: offset by 128 they are unsigned.
fn i8x4_f32(word: u32) -> vec4<f32> {
    return small_to_f32(u8x4(word ^ 0x80808080u)) - vec4<f32>(128.0);
}
