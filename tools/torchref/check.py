#!/usr/bin/env python3
"""Reference GPT-2 forward pass in plain PyTorch for cross-checking llmflow.

usage: check.py CKPT_DIR TOKENS_FILE

CKPT_DIR holds config.json and model.safetensors in the Hugging Face GPT-2
layout. TOKENS_FILE holds one sequence of token ids per line (space
separated, all lines the same length). Prints one JSON object to stdout:
{"shape": [B, T, V], "logits": [flat float32 values]}.

Only the standard library and torch are used: the safetensors reader below
follows the format specification directly.
"""
import json
import math
import struct
import sys

import torch
import torch.nn.functional as F

DTYPES = {"F32": (torch.float32, 4), "F16": (torch.float16, 2), "BF16": (torch.bfloat16, 2), "F64": (torch.float64, 8)}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    body = data[8 + n :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype, size = DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        count = (end - begin) // size
        t = torch.frombuffer(bytearray(body[begin:end]), dtype=dtype, count=count) if count else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"]).to(torch.float32)
    return out


def layer_norm(x, w, b, eps):
    return F.layer_norm(x, (x.shape[-1],), w, b, eps)


def gpt2_logits(cfg, p, idx, past=None, pos0=0):
    """past: optional per-layer (key, value) pairs [B, H, P, C/H] every token
    attends to; pos0: position of the first token."""
    return gpt2_hidden(cfg, p, idx, past, pos0) @ p["wte.weight"].T  # output head tied to the token embedding


def gpt2_hidden(cfg, p, idx, past=None, pos0=0):
    """The final LayerNorm's output [B, T, C]; arguments as gpt2_logits."""
    B, T = idx.shape
    C, H = cfg["n_embd"], cfg["n_head"]
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    x = p["wte.weight"][idx] + p["wpe.weight"][pos0 : pos0 + T]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    if past is not None:
        mask = torch.cat([torch.ones(T, past[0][0].shape[2], dtype=torch.bool), mask], dim=1)
    for i in range(cfg["n_layer"]):
        h = f"h.{i}."
        a = layer_norm(x, p[h + "ln_1.weight"], p[h + "ln_1.bias"], eps)
        qkv = a @ p[h + "attn.c_attn.weight"] + p[h + "attn.c_attn.bias"]  # Conv1D: [in, out]
        q, k, v = qkv.split(C, dim=2)
        q = q.view(B, T, H, C // H).transpose(1, 2)
        k = k.view(B, T, H, C // H).transpose(1, 2)
        v = v.view(B, T, H, C // H).transpose(1, 2)
        if past is not None:
            k, v = torch.cat([past[i][0], k], dim=2), torch.cat([past[i][1], v], dim=2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // H)
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + y @ p[h + "attn.c_proj.weight"] + p[h + "attn.c_proj.bias"]
        m = layer_norm(x, p[h + "ln_2.weight"], p[h + "ln_2.bias"], eps)
        m = F.gelu(m @ p[h + "mlp.c_fc.weight"] + p[h + "mlp.c_fc.bias"], approximate="tanh")
        x = x + m @ p[h + "mlp.c_proj.weight"] + p[h + "mlp.c_proj.bias"]
    return layer_norm(x, p["ln_f.weight"], p["ln_f.bias"], eps)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    ckpt, tokens = sys.argv[1], sys.argv[2]
    with open(ckpt + "/config.json") as f:
        cfg = json.load(f)
    assert cfg.get("model_type") == "gpt2", "model_type must be gpt2"
    p = read_safetensors(ckpt + "/model.safetensors")
    with open(tokens) as f:
        rows = [[int(t) for t in line.split()] for line in f if line.strip()]
    idx = torch.tensor(rows, dtype=torch.long)
    torch.set_num_threads(1)
    with torch.no_grad():
        logits = gpt2_logits(cfg, p, idx)
    json.dump({"shape": list(logits.shape), "logits": logits.reshape(-1).tolist()}, sys.stdout)


if __name__ == "__main__":
    main()
