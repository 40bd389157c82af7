// Package sft is the built-in `sft` stage: supervised instruction tuning of
// a GPT-2 checkpoint on an instruction dataset, with the shared trainer
// (plugins/trainer).
//
// Each conversation is rendered with a chat template (dataprep/chat) into
// token ids and a loss mask that covers the assistant turns and their
// end-of-turn token. The template's special tokens and a padding token are
// added to the tokenizer where it lacks them, and the model's embedding
// grows by as many rows, set to the mean of the existing ones
// (model.GrowVocab). Examples are packed several to a row
// (trainer.NewPacked) with attention and position ids restarted at each, so
// a packed example computes what it would alone. The checkpoint carries the
// template where the Hugging Face ecosystem looks for it:
// tokenizer_config.json with a Jinja chat_template and
// generation_config.json with the end-of-turn id as eos (chat.WriteHFFiles),
// plus template.json (chat.Load) for llmflow itself.
//
// Train prepares the data and model and runs the trainer; Stage wraps it as
// a sdk.Stage.
package sft
