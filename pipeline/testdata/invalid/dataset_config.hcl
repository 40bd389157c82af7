dataset "web" { # ERROR: Invalid dataset configuration
  path   = "a.jsonl"
  format = "jsnl"
}

dataset "num" {
  path   = "a.jsonl"
  format = ["x"] # ERROR: Unsuitable value type
}
