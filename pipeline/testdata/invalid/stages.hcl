plugin "custom" {
  source   = "./bin/custom"
  checksum = "md5:abc" # ERROR: Invalid checksum
}

plugin "custom" { # ERROR: Duplicate plugin "custom"
  source = "builtin"
}

dataset "d" {
  path = "d.jsonl"
}

stage "pretrain" "a" {
  data = dataset.d
  config {}
  config {} # ERROR: Duplicate config block
  settings {} # ERROR: Unsupported block type
}

stage "pretrain" "b" {
  data    = "not a reference" # ERROR: Invalid reference
  retries = 1.5 # ERROR: Invalid retries
}

stage "pretrain" "bad name!" { # ERROR: Invalid stage name
  data = dataset.d
}

output "o" {
  value = dataset.d.extra.deep # ERROR: Invalid reference
}

output "o" { # ERROR: Duplicate output "o"
  value = dataset.d
}
