// Package pretrain is the built-in `pretrain` stage: it trains a GPT-2 from
// scratch on a tokens dataset with the model package and writes a Hugging
// Face GPT-2 checkpoint (model.safetensors, config.json, tokenizer.json) plus
// the training state that lets an interrupted run resume bit-identically.
//
// Train is the plain training loop; Stage wraps it as an sdk.Stage.
package pretrain
