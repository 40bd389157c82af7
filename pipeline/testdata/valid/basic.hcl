variable "seed" {
  type        = number
  default     = 7
  description = "base seed"
  validation {
    condition     = var.seed >= 0
    error_message = "seed must not be negative"
  }
}

variable "token" {
  type      = string
  default   = "s3cret"
  sensitive = true
}

locals {
  data_dir = "data"
  pattern  = "${local.data_dir}/*.jsonl"
}

dataset "web" {
  path       = local.pattern
  format     = "jsonl"
  text_field = "text"
  seed       = var.seed + 1
  retries    = 2
  timeout    = "10m"
  on_failure = "abort"
}

dataset "wiki" {
  path       = format("%s/wiki.txt", local.data_dir)
  format     = "text"
  text_mode  = "paragraph"
  depends_on = [dataset.web]
}

plugin "pretrain" {
  source = "builtin"
}

stage "pretrain" "base" {
  data = dataset.web
  val  = dataset.wiki.data
  seed = var.seed
  config {
    n_layer = 2
    name    = upper("tiny")
  }
}

output "model" {
  value       = stage.base.model
  description = "the pretrained model"
}

instructions "chat" {
  path     = "data/chat.jsonl"
  shape    = "messages"
  fields   = { messages = "conversations", role = "from", content = "value" }
  roles    = { human = "user", gpt = "assistant" }
  on_error = "skip"
}
