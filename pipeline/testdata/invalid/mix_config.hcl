dataset "a" {
  path = "a.jsonl"
}

dataset "b" {
  path = "b.jsonl"
}

mix "weights" {
  inputs  = [dataset.a, dataset.b]
  weights = [1, 2, 3] # ERROR: Invalid mix configuration
}

mix "caps" {
  inputs   = [dataset.a, dataset.b]
  max_rows = [10] # ERROR: Invalid mix configuration
}

mix "zero" { # ERROR: Invalid mix configuration
  inputs  = [dataset.a, dataset.b]
  weights = [1, 0]
}

mix "policy" { # ERROR: Invalid mix configuration
  inputs       = [dataset.a, dataset.b]
  on_exhausted = "wrap"
}
