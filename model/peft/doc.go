// Package peft reads and writes the adapters of parameter-efficient tuning
// as two files in a directory, the way the Hugging Face PEFT library saves
// them: adapter_model.safetensors (float32 tensors, metadata
// {"format": "pt"}) and adapter_config.json.
//
// LoRA on GPT-2 uses PEFT's own layout. Keys are
// base_model.model.transformer.h.{i}.{module}.lora_A.weight of shape
// [r, in] and ….lora_B.weight of shape [out, r], for module among
// attn.c_attn, attn.c_proj, mlp.c_fc and mlp.c_proj; the config has
// peft_type "LORA", r, lora_alpha, lora_dropout, target_modules,
// fan_in_fan_out true (GPT-2's Conv1D stores weights [in, out], so the
// update added to the stored weight is scale·AᵀBᵀ), bias "none", task_type
// "CAUSAL_LM", use_rslora and base_model_name_or_path.
//
// Prefix tuning also uses PEFT's layout: one tensor prompt_embeddings of
// shape [num_virtual_tokens, num_layers·2·token_dim] (per layer l, keys at
// columns [2l·token_dim, (2l+1)·token_dim), then values, heads side by
// side), and a config with peft_type "PREFIX_TUNING", num_virtual_tokens,
// num_layers, token_dim, num_attention_heads, num_transformer_submodules 1,
// prefix_projection and encoder_hidden_size. A prefix trained through a
// projection is saved as its final prefixes with inference_mode true, which
// is how PEFT loads it too.
//
// Bottleneck adapters have no PEFT equivalent; they use the same two files.
// peft_type is "BOTTLENECK_ADAPTER" with bottleneck_size, num_layers,
// token_dim and non_linearity "gelu_new". Each block h.{i} has two adapters,
// attn.adapter (on the attention output) and mlp.adapter (on the MLP
// output), applied to the sub-layer output y before its residual add as
// y + up(gelu(down(y))). Their tensors are
// base_model.model.transformer.h.{i}.{site}.down.weight [bottleneck, n_embd],
// down.bias [bottleneck], up.weight [n_embd, bottleneck] and
// up.bias [n_embd], in torch.nn.Linear's [out, in] layout.
//
// Every adapter_config.json also carries an "llmflow" object with
// base_model_digest, the sha256 of the base checkpoint's model.safetensors
// (BaseOf). Applying an adapter to a model whose weights have another digest
// is refused.
package peft
