variable "seed" {
  type = number
}

datset "web" {
  path = "a.jsonl"
}

dataset "docs" {
  path   = "docs.jsonl"
  fromat = "jsonl"
  seed   = var.sed
}

dataset "more" {
  path       = "more.jsonl"
  depends_on = [dataset.doc]
}
