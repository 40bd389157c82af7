#!/usr/bin/env python3
"""Regenerates pretokenize.txt and pretokenize.golden.json.

The expected pieces come from the third-party `regex` module (Debian package
python3-regex), which supports the lookahead of the GPT-2 pattern; for Han
chunks the Split regex runs first and the pattern on each gap, as the
Hugging Face Sequence[Split, ByteLevel] pre-tokenizer does.
"""
import json
import random

import regex

PAT = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def gpt2(s):
    return [m.group(0) for m in PAT.finditer(s)]


def han(s, k):
    pat = regex.compile(r"\p{Han}{1,%d}" % k)
    out, last = [], 0
    for m in pat.finditer(s):
        if m.start() > last:
            out += gpt2(s[last:m.start()])
        out.append(m.group(0))
        last = m.end()
    if last < len(s):
        out += gpt2(s[last:])
    return out


def main():
    random.seed(7)
    alpha = list(" \t\n\r  'sdtmrevlSDT0123aé中文字漢あア한١٢\u00a0\u3000\u2028!?.,-_'\"\u0085\x1c\x1f٣\u2160Ⅻ²½😀\u200b\u0301")
    parts = ["".join(random.choice(alpha) for _ in range(random.randint(1, 10))) for _ in range(600)]
    fixed = ["Hello world", "I'm here, you're there; they'll go. We've 'd 's", "  leading  and trailing  ",
             "a\n\nb \n c", "孙悟空说：“你好！” 大圣", "x  中文  y", "123 4567 ½", "tab\there", "end   "]
    s = "\n".join(fixed) + "".join(parts)
    with open("pretokenize.txt", "w", encoding="utf-8") as f:
        f.write(s)
    gold = {"source": "python3 regex 2.5 module, GPT-2 pattern; Han split then pattern per piece",
            "text_file": "pretokenize.txt",
            "han_chunk_0": gpt2(s), "han_chunk_1": han(s, 1), "han_chunk_3": han(s, 3)}
    with open("pretokenize.golden.json", "w", encoding="utf-8") as f:
        json.dump(gold, f, ensure_ascii=False, indent=0)


if __name__ == "__main__":
    main()
