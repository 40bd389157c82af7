// Package peft is the built-in `peft` stage: parameter-efficient tuning of a
// GPT-2 checkpoint on instruction data. It prepares data, template and
// model exactly as the sft stage does (sft.Train, with the base's
// vocabulary fixed) and, before training, freezes the base and attaches
// LoRA, a prefix or bottleneck adapters (model/), or freezes all but the
// top blocks (method "partial").
//
// LoRA, prefix and adapter runs output an adapter directory in the PEFT
// layout (model/peft) tied to the digest of the base's model.safetensors;
// a partial run outputs a full checkpoint whose frozen tensors are the
// base's, bit for bit. Attached tensors and the dropout RNG are saved with
// the training state (model.SaveAttachedState), so a resumed run continues
// bit-identically.
package peft
