# The whole recipe in one file, on made-up data (gen.go): a noisy corpus of
# plain facts is cleaned, deduplicated and scrubbed, a tokenizer trained on
# it and a small GPT-2 pretrained; instruction tuning teaches it to answer
# questions (a quarter of the answers it sees are "I am not sure."); a
# reward model learns from pairs that prefer the right fact over a wrong
# one or a non-answer; then three ways to align the tuned model: PPO
# against the reward model, DPO on the pairs, and DPO on pairs the reward
# model labelled itself (RLAIF). Every policy answers held-out questions
# greedily; the reward model scores the answers and a scorer checks they
# hold the right fact.

variable "seed" {
  type    = number
  default = 42
}

variable "pretrain_steps" {
  type    = number
  default = 400
}

variable "sft_steps" {
  type    = number
  default = 300
}

variable "reward_steps" {
  type    = number
  default = 160
}

variable "ppo_steps" {
  type    = number
  default = 60
}

variable "dpo_steps" {
  type    = number
  default = 150
}

variable "min_margin" {
  type        = number
  default     = 0.5
  description = "score by which the labelled best answer must beat the worst"
}

variable "label_prompts" {
  type        = number
  default     = 0
  description = "questions the RLAIF branch labels (0: all)"
}

dataset "web" {
  path       = "data/web.jsonl"
  text_field = "text"
  id_field   = "id"
}

# The facts repeat by design, and numbers are words here: keep the
# repetition and alphabetic-word rules from dropping what is meant to stay.
clean "web" {
  input                 = dataset.web
  min_words             = 5
  gopher_repetition     = false
  min_alpha_words_ratio = 0.5
  min_mean_word_length  = 2
}

dedup "web" {
  input     = clean.web
  method    = "minhash"
  threshold = 0.8
  seed      = var.seed
}

pii "web" {
  input    = dedup.web
  entities = ["email", "phone"]
}

# Reserves chatml's tokens and <|pad|>, so tuning needs no new rows.
tokenizer "bpe" {
  input      = pii.web
  vocab_size = 512
}

tokenize "web" {
  input        = pii.web
  tokenizer    = tokenizer.bpe
  block_size   = 64
  val_fraction = 0.05
  seed         = var.seed
}

stage "pretrain" "base" {
  data      = tokenize.web.train
  val       = tokenize.web.val
  tokenizer = tokenizer.bpe
  seed      = var.seed
  config {
    n_layer            = 4
    n_head             = 4
    n_embd             = 128
    block_size         = 64
    batch_size         = 16
    lr                 = 0.003
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

stage "sft" "chat" {
  model    = stage.base
  data     = instructions.chat
  template = chat_template.chatml
  seed     = var.seed
  config {
    batch_size   = 16
    lr           = 0.002
    min_lr       = 0.0002
    warmup_steps = 10
    max_steps    = var.sft_steps
  }
}

preferences "prefs" {
  path         = "data/prefs.jsonl"
  shape        = "pairs"
  val_fraction = 0.2
  seed         = var.seed
}

stage "reward" "rm" {
  model = stage.chat
  data  = preferences.prefs
  val   = preferences.prefs.val
  seed  = var.seed
  # Only the top block and the score head train: the blocks below keep
  # what pretraining learnt of the facts, so held-out questions are judged
  # by knowledge rather than by the training questions' answers memorised.
  config {
    batch_size       = 16
    lr               = 0.0001
    min_lr           = 0.00001
    max_steps        = var.reward_steps
    eval_every       = 0
    trainable_layers = 1
  }
}

# Questions the policies answer while training (PPO) and labelling (RLAIF).
instructions "questions" {
  path  = "data/questions.jsonl"
  shape = "qa"
}

stage "ppo" "rl" {
  model        = stage.chat
  reward_model = stage.rm
  prompts      = instructions.questions
  val_prompts  = instructions.held_out
  seed         = var.seed
  config {
    steps          = var.ppo_steps
    batch_size     = 16
    mini_batches   = 4
    ppo_epochs     = 2
    lr             = 0.0002
    init_kl_coef   = 0.1
    target         = 6
    max_new_tokens = 16
    log_every      = 5
  }
}

# DPO on the human pairs, the reference's log-probs computed once.
stage "logps" "ref" {
  model = stage.chat
  data  = preferences.prefs
}

stage "dpo" "dpo" {
  model = stage.chat
  data  = stage.ref.data
  val   = preferences.prefs.val
  seed  = var.seed
  config {
    batch_size = 16
    lr         = 0.0001
    min_lr     = 0.00001
    max_steps  = var.dpo_steps
    eval_every = 0
  }
}

# RLAIF: the tuned model answers each question four times; the reward
# model's best over its worst answer becomes a pair, and DPO learns them.
stage "label" "ai" {
  model        = stage.chat
  prompts      = instructions.questions
  reward_model = stage.rm
  seed         = var.seed
  config {
    k              = 4
    temperature    = 1
    top_k          = 20
    max_new_tokens = 16
    min_margin     = var.min_margin
    max_prompts    = var.label_prompts
    batch_size     = 16
  }
}

stage "dpo" "rlaif" {
  model = stage.chat
  data  = stage.ai.data
  seed  = var.seed
  config {
    batch_size = 16
    lr         = 0.0001
    min_lr     = 0.00001
    max_steps  = var.dpo_steps
    eval_every = 0
  }
}

# Held-out questions with their right answers. PPO scores them before and
# after training; the eval stages below score every policy's greedy answers
# with the reward model and check each holds the right fact.
instructions "held_out" {
  path  = "data/held_out.jsonl"
  shape = "qa"
}

dataset "held_out" {
  path       = "data/held_out.jsonl"
  text_field = "question"
  id_field   = "id"
}

stage "eval" "eval_sft" {
  model        = stage.chat
  prompts      = dataset.held_out
  reward_model = stage.rm
  config {
    chat_template  = true
    scorers        = ["contains"]
    answer_regex   = ""
    stop           = ["<|im_end|>", "\n"]
    max_new_tokens = 16
  }
}

stage "eval" "eval_ppo" {
  model        = stage.rl.model
  prompts      = dataset.held_out
  reward_model = stage.rm
  config {
    chat_template  = true
    scorers        = ["contains"]
    answer_regex   = ""
    stop           = ["<|im_end|>", "\n"]
    max_new_tokens = 16
  }
}

stage "eval" "eval_dpo" {
  model        = stage.dpo.model
  prompts      = dataset.held_out
  reward_model = stage.rm
  config {
    chat_template  = true
    scorers        = ["contains"]
    answer_regex   = ""
    stop           = ["<|im_end|>", "\n"]
    max_new_tokens = 16
  }
}

stage "eval" "eval_rlaif" {
  model        = stage.rlaif.model
  prompts      = dataset.held_out
  reward_model = stage.rm
  config {
    chat_template  = true
    scorers        = ["contains"]
    answer_regex   = ""
    stop           = ["<|im_end|>", "\n"]
    max_new_tokens = 16
  }
}

output "ppo" {
  value = stage.rl.model
}

output "dpo" {
  value = stage.dpo.model
}

output "rlaif" {
  value = stage.rlaif.model
}

output "reward_model" {
  value = stage.rm.model
}
