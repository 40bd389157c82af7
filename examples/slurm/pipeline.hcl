# The quickstart's data preparation and tiny model, run on a Slurm cluster.
# Every node becomes a batch job that runs `llmflow node exec` against the
# store; the host submits, waits and records. The same file runs on one
# machine with `llmflow run --executor local pipeline.hcl`, with the same
# artifacts.

variable "seed" {
  type    = number
  default = 42
}

# Nodes that name no executor run here: one CPU and a little memory each.
executor "cluster" {
  default       = true
  cpus_per_task = 1
  mem           = "2G"
  time_limit    = "30m"
}

# The tokenizer and the model get more of the node.
executor "big" {
  cpus_per_task = 2
  mem           = "4G"
  time_limit    = "2h"
}

# Reading a small file is quicker on the host than a trip through the queue.
executor "host" {
  type = "local"
}

dataset "web" {
  path       = "../quickstart/data/web.jsonl"
  format     = "jsonl"
  text_field = "text"
  id_field   = "id"
  executor   = executor.host
}

# Four tasks of one job array; the output is the same as unsharded.
clean "web" {
  input     = dataset.web
  min_words = 10
  shards    = 4
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
  shards   = 4
}

tokenizer "bpe" {
  input      = pii.web
  vocab_size = 512
  executor   = executor.big
}

tokenize "web" {
  input        = pii.web
  tokenizer    = tokenizer.bpe
  block_size   = 64
  val_fraction = 0.1
  seed         = var.seed
}

stage "pretrain" "tiny" {
  data      = tokenize.web.train
  val       = tokenize.web.val
  tokenizer = tokenizer.bpe
  seed      = var.seed
  executor  = executor.big
  config {
    n_layer      = 4
    n_head       = 4
    n_embd       = 128
    block_size   = 64
    batch_size   = 16
    lr           = 0.002
    warmup_steps = 20
    max_steps    = 300
    eval_every   = 50
    log_every    = 10
  }
}

output "model" {
  value = stage.tiny.model
}

output "train" {
  value = tokenize.web.train
}
