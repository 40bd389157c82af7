datset "web" { # ERROR: Unsupported block type
  path = "a.jsonl"
}

dataset "a" { # ERROR: Missing required argument
  format = "jsonl"
}

dataset "b" {
  path    = "b.jsonl"
  formatt = "jsonl" # ERROR: Unsupported argument
}

dataset "b" { # ERROR: Duplicate dataset "dataset.b"
  path = "c.jsonl"
}

dataset "c" {
  path    = "c.jsonl"
  retries = "many" # ERROR: Incorrect attribute value type
}

dataset "d" {
  path       = "d.jsonl"
  on_failure = "explode" # ERROR: Invalid on_failure
}

dataset "e" {
  path    = "e.jsonl"
  timeout = "soon" # ERROR: Invalid timeout
}

variable "n" {
  type    = number
  default = "abc" # ERROR: Incorrect attribute value type
}

plugin "custom" {
  source   = "./bin/custom"
  checksum = "md5:abc" # ERROR: Invalid checksum
}

output "x" {
  value = "not a reference" # ERROR: Invalid reference
}
