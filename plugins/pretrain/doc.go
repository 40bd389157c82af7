// Package pretrain is the built-in `pretrain` stage: it builds a GPT-2 from
// scratch, trains it on a tokens dataset with the shared trainer
// (plugins/trainer) and writes a Hugging Face GPT-2 checkpoint
// (model.safetensors, config.json, tokenizer.json) plus the training state
// that lets an interrupted run resume bit-identically.
//
// Train builds the model and runs the trainer; Stage wraps it as a sdk.Stage.
package pretrain
