dataset "a" {
  path = "a.jsonl"
}

dataset "b" {
  path = "b.jsonl"
}

clean "both" {
  input = [dataset.a, dataset.b] # ERROR: List of references not accepted
}

mix "single" {
  inputs = dataset.a # ERROR: List of references expected
}

mix "empty" {
  inputs = [] # ERROR: Empty list of references
}

mix "twice" {
  inputs = [dataset.a, dataset.a] # ERROR: Duplicate reference
}

mix "typo" {
  inputs = [dataset.a, dataset.c] # ERROR: Reference to undeclared node
}

mix "missing" { # ERROR: Missing required argument
  weights = [1]
}

mix "misspelt" {
  inputs = [dataset.a, dataset.b]
  weight = [1, 1] # ERROR: Unsupported argument
}
