# Four parameter-efficient methods side by side on one pretrained base, with
# full fine-tuning for reference: the data is examples/sft's (made by
# ../sft/gen.go), the settings the same for every method.

variable "seed" {
  type    = number
  default = 42
}

variable "pretrain_steps" {
  type    = number
  default = 400
}

variable "tune_steps" {
  type        = number
  default     = 300
  description = "training steps of every fine-tuning stage"
}

variable "save_every" {
  type        = number
  default     = 0
  description = "steps between checkpoints of the LoRA stage (0: only at the end)"
}

dataset "corpus" {
  path       = "../sft/data/corpus.jsonl"
  text_field = "text"
}

# Reserves chatml's tokens and <|pad|>: a frozen base cannot add them.
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
  path  = "../sft/data/chat.jsonl"
  shape = "qa"
}

chat_template "chatml" {
  builtin = "chatml"
}

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
    max_steps      = var.tune_steps
    save_every     = var.save_every
  }
}

stage "peft" "prefix" {
  model    = stage.base
  data     = instructions.chat
  template = chat_template.chatml
  seed     = var.seed
  config {
    method             = "prefix"
    num_virtual_tokens = 16
    lr                 = 0.01 # prefixes need a larger step than weights
    min_lr             = 0.001
    batch_size         = 8
    max_steps          = var.tune_steps
  }
}

stage "peft" "adapter" {
  model    = stage.base
  data     = instructions.chat
  template = chat_template.chatml
  seed     = var.seed
  config {
    method     = "adapter"
    bottleneck = 32
    batch_size = 8
    max_steps  = var.tune_steps
  }
}

stage "peft" "partial" {
  model    = stage.base
  data     = instructions.chat
  template = chat_template.chatml
  seed     = var.seed
  config {
    method           = "partial"
    trainable_layers = 1
    batch_size       = 8
    max_steps        = var.tune_steps
  }
}

# Full fine-tuning, for reference.
stage "sft" "full" {
  model    = stage.base
  data     = instructions.chat
  template = chat_template.chatml
  seed     = var.seed
  config {
    batch_size   = 8
    lr           = 0.001
    min_lr       = 0.0001
    warmup_steps = 20
    max_steps    = var.tune_steps
  }
}

merge "lora" {
  model   = stage.base
  adapter = stage.lora.adapter
}

# What each tuned model still knows of the corpus, and its answer to one
# prompt. eval folds a LoRA adapter into the model and attaches a prefix or
# bottleneck adapter; the merged checkpoint evaluates the same as the base
# with the LoRA adapter.
stage "eval" "eval_lora" {
  model = merge.lora
  data  = tokenize.corpus.val
  config {
    prompts     = ["The capital of Peru is"]
    temperature = 0
  }
}

stage "eval" "eval_lora_adapter" {
  model   = stage.base
  adapter = stage.lora.adapter
  data    = tokenize.corpus.val
  config {
    prompts     = ["The capital of Peru is"]
    temperature = 0
  }
}

stage "eval" "eval_prefix" {
  model   = stage.base
  adapter = stage.prefix.adapter
  data    = tokenize.corpus.val
  config {
    prompts     = ["The capital of Peru is"]
    temperature = 0
  }
}

stage "eval" "eval_adapter" {
  model   = stage.base
  adapter = stage.adapter.adapter
  data    = tokenize.corpus.val
  config {
    prompts     = ["The capital of Peru is"]
    temperature = 0
  }
}

stage "eval" "eval_partial" {
  model = stage.partial.model
  data  = tokenize.corpus.val
  config {
    prompts     = ["The capital of Peru is"]
    temperature = 0
  }
}

stage "eval" "eval_full" {
  model = stage.full.model
  data  = tokenize.corpus.val
  config {
    prompts     = ["The capital of Peru is"]
    temperature = 0
  }
}

output "lora" {
  value       = merge.lora
  description = "the base with the LoRA adapter folded in"
}

output "prefix" {
  value = stage.prefix.adapter
}

output "adapter" {
  value = stage.adapter.adapter
}
