#!/usr/bin/env python3
"""Reward scores and sequence log-probs in plain PyTorch, for cross-checking llmflow.

usage: reward_check.py CKPT_DIR TOKENS_FILE

CKPT_DIR holds config.json and model.safetensors: a GPT-2 checkpoint, or a
reward model in transformers' GPT2ForSequenceClassification layout
(transformer.* tensors and score.weight). TOKENS_FILE holds one sequence of
token ids per line (lengths may differ), optionally followed by "|" and a
0/1 per token marking the response tokens whose log-probs are summed.
Prints one JSON object: {"scores": [...], "logps": [...]}; scores only for a
reward model, logps only for lines with a mask.

Sequences are right-padded with pad_token_id and the score is read at the
last token that is not padding, as GPT2ForSequenceClassification does.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check import gpt2_hidden, read_safetensors  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    ckpt, tokens = sys.argv[1], sys.argv[2]
    with open(ckpt + "/config.json") as f:
        cfg = json.load(f)
    raw = read_safetensors(ckpt + "/model.safetensors")
    p = {k[len("transformer.") :] if k.startswith("transformer.") else k: v for k, v in raw.items()}
    rows, masks = [], []
    with open(tokens) as f:
        for line in f:
            if not line.strip():
                continue
            ids, _, mask = line.partition("|")
            rows.append([int(t) for t in ids.split()])
            masks.append([int(t) for t in mask.split()] if mask.strip() else None)
    pad = cfg.get("pad_token_id")
    if pad is None:
        pad = cfg["eos_token_id"]
    T = max(len(r) for r in rows)
    idx = torch.tensor([r + [pad] * (T - len(r)) for r in rows], dtype=torch.long)
    torch.set_num_threads(1)
    out = {}
    with torch.no_grad():
        hidden = gpt2_hidden(cfg, p, idx)
        if "score.weight" in p:
            assert cfg["architectures"] == ["GPT2ForSequenceClassification"], cfg["architectures"]
            logits = hidden @ p["score.weight"].T  # [B, T, 1]
            # transformers: the rightmost token that is not padding.
            non_pad = (idx != pad).int()
            last = (torch.arange(T) * non_pad).argmax(-1)
            out["scores"] = logits[torch.arange(len(rows)), last, 0].tolist()
        logp = torch.log_softmax(hidden @ p["wte.weight"].T, dim=-1)
        sums = []
        for b, mask in enumerate(masks):
            if mask is None:
                continue
            assert len(mask) == len(rows[b]), "mask length differs from the sequence"
            s = sum(logp[b, t - 1, rows[b][t]].item() for t in range(1, len(rows[b])) if mask[t])
            sums.append(s)
        if sums:
            out["logps"] = sums
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
