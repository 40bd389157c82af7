// Renders chat conversations with transformers.js from a local checkpoint
// directory, offline, and prints the token ids as JSON.
//
//   node tools/hfchat/check.mjs NPM_PREFIX < request.json
//
// request.json: {"dir": "...", "cases": [{"messages": [...], "add_generation_prompt": bool}]}
// output:       {"results": [{"text": "...", "ids": [...]}]}
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const prefix = process.argv[2];
if (!prefix) {
  console.error('usage: check.mjs NPM_PREFIX < request.json');
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(prefix), 'package.json'));
const { AutoTokenizer, env } = await import(require.resolve('@huggingface/transformers'));

const req = JSON.parse(readFileSync(0, 'utf8'));
// Never reach a model hub: the files come from the directory under test.
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = path.dirname(path.resolve(req.dir)) + path.sep;
const tok = await AutoTokenizer.from_pretrained(path.basename(req.dir));

const results = [];
for (const c of req.cases) {
  const opts = { add_generation_prompt: c.add_generation_prompt };
  const text = tok.apply_chat_template(c.messages, { ...opts, tokenize: false });
  const ids = tok.apply_chat_template(c.messages, { ...opts, tokenize: true, return_tensor: false, return_dict: false });
  results.push({ text, ids: Array.from(ids, Number) });
}
process.stdout.write(JSON.stringify({ results, version: env.version }));
