variable "seed" {
  type    = number
  default = 1
}

variable "api_key" {
  type      = string
  default   = "do-not-store"
  sensitive = true
}

dataset "docs" {
  path = "data/docs.jsonl"
  seed = var.seed
}

dataset "lines" {
  path       = "data/lines.txt"
  format     = "text"
  depends_on = [dataset.docs]
}

output "docs" {
  value = dataset.docs
}
