#!/usr/bin/env bash
# Builds llama-bench-native into OUT (default: target/llama-bench-native from the repository
# root) beside the llama.cpp libraries it runs on, so OUT is self-contained (rpath $ORIGIN):
#
#   scripts/llama-cpp-bench/native/build.sh [OUT]
#
# Needs scripts/llama-cpp-bench/node_modules (npm ci there), git and a C compiler. The headers
# come from node-llama-cpp's llama/gitRelease.bundle (the llama.cpp source of the prebuilt
# binaries), the libraries from @node-llama-cpp/linux-x64-vulkan: libllama, libggml,
# libggml-base, libggml-vulkan and a few libggml-cpu variants (x64 baseline, haswell, skylakex,
# icelake, sapphirerapids, zen4; ggml loads the best one the CPU runs). About 65 MB, 13 MB as xz.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${1:-$root/target/llama-bench-native}"
nm="$here/../node_modules"
bins="$nm/@node-llama-cpp/linux-x64-vulkan/bins/linux-x64-vulkan"
bundle="$nm/node-llama-cpp/llama/gitRelease.bundle"
for f in "$bins/libllama.vulkan.v0.4.0.so" "$bundle"; do
    [ -e "$f" ] || { echo "build.sh: $f is missing: run npm ci in scripts/llama-cpp-bench" >&2; exit 1; }
done
release="$(sed -n 's/.*"release":"\([^"]*\)".*/\1/p' "$bins/_nlcBuildMetadata.json")"
src="$root/target/llama-cpp-src-$release"
if [ ! -f "$src/include/llama.h" ]; then
    rm -rf "$src.tmp"
    git -c advice.detachedHead=false -c init.defaultBranch=main clone --quiet "$bundle" "$src.tmp"
    mv "$src.tmp" "$src"
fi
mkdir -p "$out"
for lib in libllama.vulkan.v0.4.0.so libggml.vulkan.v0.4.0.so libggml-base.so libggml-vulkan.so \
    libggml-cpu-x64.so libggml-cpu-haswell.so libggml-cpu-skylakex.so libggml-cpu-icelake.so \
    libggml-cpu-sapphirerapids.so libggml-cpu-zen4.so; do
    cp -f "$bins/$lib" "$out/$lib"
done
${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -DLLAMA_CPP_RELEASE="\"$release\"" \
    -I"$src/include" -I"$src/ggml/include" \
    -o "$out/llama-bench-native" "$here/llama-bench-native.c" \
    -L"$out" -l:libllama.vulkan.v0.4.0.so -l:libggml.vulkan.v0.4.0.so -l:libggml-base.so \
    -Wl,-rpath,'$ORIGIN'
echo "built $out/llama-bench-native (llama.cpp $release)" >&2
