# The sft example with LoRA instead of full fine-tuning: the peft stage
# trains a few low-rank matrices beside the frozen pretrained model, and
# merge folds them back into a plain checkpoint.

variable "seed" {
  type    = number
  default = 42
}

variable "pretrain_steps" {
  type    = number
  default = 400
}

variable "peft_steps" {
  type    = number
  default = 300
}

variable "save_every" {
  type        = number
  default     = 0
  description = "steps between peft checkpoints (0: only at the end)"
}

dataset "corpus" {
  path       = "data/corpus.jsonl"
  text_field = "text"
}

tokenizer "bpe" {
  input      = dataset.corpus
  vocab_size = 512
}

tokenize "corpus" {
  input        = dataset.corpus
  tokenizer    = tokenizer.bpe
  block_size   = 64
  val_fraction = 0.05
  seed         = var.seed
}

stage "pretrain" "base" {
  data      = tokenize.corpus.train
  val       = tokenize.corpus.val
  tokenizer = tokenizer.bpe
  seed      = var.seed
  config {
    n_layer            = 4
    n_head             = 4
    n_embd             = 128
    block_size         = 64
    batch_size         = 16
    lr                 = 0.002
    warmup_steps       = 20
    max_steps          = var.pretrain_steps
    reset_position_ids = true
  }
}

instructions "chat" {
  path  = "data/chat.jsonl"
  shape = "qa"
}

chat_template "chatml" {
  builtin = "chatml"
}

# The tokenizer node reserves chatml's tokens and <|pad|> by default: a
# frozen base cannot grow its vocabulary for them.
stage "peft" "lora" {
  model    = stage.base
  data     = instructions.chat
  template = chat_template.chatml
  seed     = var.seed
  config {
    method         = "lora"
    r              = 8
    alpha          = 16
    target_modules = ["attn.c_attn", "mlp.c_fc"]
    batch_size     = 8
    max_steps      = var.peft_steps
    save_every     = var.save_every
  }
}

merge "chat" {
  model   = stage.base
  adapter = stage.lora.adapter
}

stage "eval" "report" {
  model = merge.chat
  data  = tokenize.corpus.val
  config {
    prompts     = ["The capital of Peru is"]
    temperature = 0
  }
}

# The same evaluation without a merge node: eval folds the adapter in.
stage "eval" "adapter" {
  model   = stage.base
  adapter = stage.lora.adapter
  data    = tokenize.corpus.val
  config {
    prompts     = ["The capital of Peru is"]
    temperature = 0
  }
}

output "adapter" {
  value = stage.lora.adapter
}

output "model" {
  value       = merge.chat
  description = "the chat model with the LoRA adapter folded in"
}
