"""Dumps a GGUF as PyPI `gguf` (llama.cpp's own Python package) reads it, for quantize.rs:
metadata values, tensor names, shapes and types, and every tensor dequantized by
`gguf.quants.dequantize` (one .npy each)."""
import json
import sys

import numpy as np
from gguf import GGUFReader, GGUFValueType
from gguf.quants import dequantize

path, out = sys.argv[1], sys.argv[2]
reader = GGUFReader(path)


def scalar(field, index):
    part = field.parts[index]
    if field.types[-1] == GGUFValueType.STRING:
        return bytes(part).decode("utf-8")
    return part.tolist()[0]


metadata = {}
for field in reader.fields.values():
    if field.name.startswith("GGUF."):
        continue
    if field.types[0] == GGUFValueType.ARRAY:
        metadata[field.name] = [scalar(field, i) for i in field.data]
    else:
        metadata[field.name] = scalar(field, field.data[0])

tensors = []
for i, t in enumerate(reader.tensors):
    values = dequantize(t.data, t.tensor_type).astype(np.float32).reshape(-1)
    np.save(f"{out}/{i}.npy", values)
    tensors.append(
        {"name": t.name, "dims": [int(d) for d in t.shape], "type": t.tensor_type.name}
    )

with open(f"{out}/dump.json", "w") as f:
    json.dump({"metadata": metadata, "tensors": tensors}, f)
