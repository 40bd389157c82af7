#!/usr/bin/env python3
"""Reference GPT-2 forward pass with a PEFT adapter, for cross-checking llmflow.

usage: peft_check.py CKPT_DIR ADAPTER_DIR TOKENS_FILE

CKPT_DIR is the base checkpoint as for check.py; ADAPTER_DIR holds
adapter_config.json and adapter_model.safetensors as the PEFT library
writes them. LoRA (peft_type LORA) is applied as PEFT applies it to GPT-2's
Conv1D layers (fan_in_fan_out): W += scale * (B @ A).T on the [in, out]
weight, scale lora_alpha/r or lora_alpha/sqrt(r) with use_rslora. A prefix
(PREFIX_TUNING) becomes past key/values from prompt_embeddings, as PEFT
passes them, and the tokens are numbered after the virtual ones, as
transformers numbers them after past key/values.
Prints the same JSON as check.py.
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check import gpt2_logits, read_safetensors  # noqa: E402

KEY_PREFIX = "base_model.model.transformer."


def apply_lora(acfg, p, a):
    assert acfg["fan_in_fan_out"], "GPT-2 Conv1D needs fan_in_fan_out"
    r = acfg["r"]
    scale = acfg["lora_alpha"] / (math.sqrt(r) if acfg.get("use_rslora") else r)
    used = 0
    for name in list(p):
        if not name.endswith(".weight"):
            continue
        stem = KEY_PREFIX + name[: -len(".weight")]
        if stem + ".lora_A.weight" not in a:
            continue
        A, B = a[stem + ".lora_A.weight"], a[stem + ".lora_B.weight"]  # [r, in], [out, r]
        p[name] = p[name] + scale * (B @ A).T
        used += 2
    assert used == len(a), f"{len(a) - used} adapter tensors match no base weight"


def prefix_past(acfg, a, batch):
    n, L, H, C = acfg["num_virtual_tokens"], acfg["num_layers"], acfg["num_attention_heads"], acfg["token_dim"]
    e = a["prompt_embeddings"].reshape(1, n, L * 2, H, C // H).expand(batch, -1, -1, -1, -1)
    kv = e.permute(2, 0, 3, 1, 4)  # [L*2, B, H, n, C/H]
    return [(kv[2 * i], kv[2 * i + 1]) for i in range(L)]


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    ckpt, adapter, tokens = sys.argv[1:]
    with open(ckpt + "/config.json") as f:
        cfg = json.load(f)
    with open(adapter + "/adapter_config.json") as f:
        acfg = json.load(f)
    p = read_safetensors(ckpt + "/model.safetensors")
    a = read_safetensors(adapter + "/adapter_model.safetensors")
    with open(tokens) as f:
        rows = [[int(t) for t in line.split()] for line in f if line.strip()]
    idx = torch.tensor(rows, dtype=torch.long)
    torch.set_num_threads(1)
    past, pos0 = None, 0
    if acfg["peft_type"] == "LORA":
        apply_lora(acfg, p, a)
    elif acfg["peft_type"] == "PREFIX_TUNING":
        past = prefix_past(acfg, a, idx.shape[0])
        pos0 = acfg["num_virtual_tokens"]
    else:
        sys.exit(f"peft_type {acfg['peft_type']} is not supported")
    with torch.no_grad():
        logits = gpt2_logits(cfg, p, idx, past, pos0)
    json.dump({"shape": list(logits.shape), "logits": logits.reshape(-1).tolist()}, sys.stdout)


if __name__ == "__main__":
    main()
