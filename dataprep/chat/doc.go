// Package chat renders conversations with chat templates for instruction
// tuning: the text and token ids a model is trained on, the per-token loss
// mask, and the Hugging Face files (tokenizer_config.json with a Jinja
// chat_template, generation_config.json) that make a checkpoint's
// tokenizer.apply_chat_template produce the same ids.
//
// # Templates
//
// A Template gives each role (system, user, assistant) a prefix and a suffix
// around the message content, an optional text that begins every
// conversation, and the generation prompt appended when a reply is to be
// generated. Built in are "chatml"
//
//	<|im_start|>system\n{content}<|im_end|>\n ... <|im_start|>assistant\n
//
// and "plain"
//
//	{system}\n\n### Instruction:\n{user}\n\n### Response:\n{assistant}<|endoftext|>
//
// A user template is a Spec: one string per role holding {{content}} once,
// for example "<|user|>\n{{content}}<|end|>\n", plus generation_prompt,
// end_of_turn and special_tokens. Every template translates to a Jinja
// chat_template that transformers renders to the same string, and
// ReadHFTemplate reads that Jinja back from a checkpoint's
// tokenizer_config.json (only Jinja this package writes; other templates
// are refused rather than approximated).
//
// # Tokens and loss mask
//
// Encoder renders a conversation and tokenizes the whole text at once with
// added tokens matched first (as Hugging Face does, so the ids equal
// apply_chat_template's, including where content itself contains an added
// token's text). A token is trained (mask 1) when any of its bytes lies in an
// assistant message's content or in its suffix up to and including the
// end-of-turn token; everything else is 0, unless TrainOnPrompt is set.
//
// The special tokens a template needs must be one id each: AddTokens adds
// the missing ones (and a padding token) to a tokenizer, at the end of its
// ids. A model trained with that tokenizer needs as many new embedding rows
// as AddTokens reports; initialising them from the mean of the existing rows
// keeps the first steps' logits sane.
package chat
