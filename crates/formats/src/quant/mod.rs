//! ggml block quantization: dequantize every supported type, quantize to Q8_0/Q4_0/Q4_K/Q6_K.
