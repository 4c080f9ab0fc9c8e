"""OpenAI's official Python client against `mistral-wgpu serve` (tests/serve.rs).

Usage: openai_client.py BASE_URL API_KEY. Prints one JSON object with what it saw.
"""
import json
import sys

import openai

base_url, key = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=120)
out = {}

model = client.models.list().data[0].id
out["model"] = model
messages = [{"role": "user", "content": "What is the capital of France?"}]

r = client.chat.completions.create(model=model, messages=messages, temperature=0, max_tokens=24)
out["chat"] = r.choices[0].message.content
out["usage"] = r.usage.model_dump()

pieces = []
finish = None
stream = client.chat.completions.create(
    model=model, messages=messages, temperature=0, max_tokens=24, stream=True,
    stream_options={"include_usage": True},
)
for chunk in stream:
    for choice in chunk.choices:
        if choice.delta.content:
            pieces.append(choice.delta.content)
        if choice.finish_reason:
            finish = choice.finish_reason
out["streamed"] = "".join(pieces)
out["finish_reason"] = finish

c = client.completions.create(model=model, prompt="The capital of France is", max_tokens=4, temperature=0)
out["completion"] = c.choices[0].text

try:
    client.chat.completions.create(
        model=model, messages=messages,
        tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}],
    )
    out["bad_request"] = "accepted"
except openai.BadRequestError as e:
    body = e.body if isinstance(e.body, dict) else {}
    body = body.get("error", body)  # the client unwraps {"error": ...}; be sure either way
    out["bad_request"] = {"status": e.status_code, "param": body.get("param")}

try:
    openai.OpenAI(base_url=base_url, api_key="wrong", max_retries=0).models.list()
    out["unauthorized"] = "accepted"
except openai.AuthenticationError as e:
    out["unauthorized"] = e.status_code

print(json.dumps(out))
