executor "big" {
  type          = "slurm"
  default       = true
  partition     = "gpu"
  mem           = "4GB" # ERROR: Invalid mem
  time_limit    = "two hours" # ERROR: Invalid time_limit
  cpus_per_task = 0 # ERROR: Invalid cpus_per_task
  nodes         = 2 # ERROR: Unsupported argument
}

executor "small" { # ERROR: Two default executors
  default = true
}

executor "odd" {
  type = "kubernetes" # ERROR: Invalid executor type
}

dataset "web" {
  path     = "a.jsonl"
  executor = executor.bigg # ERROR: Reference to undeclared executor
}

dataset "wiki" {
  path     = "b.jsonl"
  executor = "big" # ERROR: Invalid executor reference
}
