variable "seed" {
  default = 1
}

locals {
  a = local.b # ERROR: Local value cycle
  b = local.a
}

dataset "web" {
  path = "a.jsonl"
  seed = var.sede # ERROR: Reference to undeclared input variable
}

dataset "wiki" {
  path       = local.missing # ERROR: Reference to undeclared local value
  depends_on = [dataset.webb] # ERROR: Reference to undeclared node
}

stage "pretrain" "base" {
  data = dataset.wiki.tokens # ERROR: Unknown node output
  config {
    lr   = vars.lr # ERROR: Unknown reference
    data = dataset.web # ERROR: Node reference in a value
  }
}

dataset "x" { # ERROR: Dependency cycle
  path       = "x.jsonl"
  depends_on = [dataset.y]
}

dataset "y" {
  path       = "y.jsonl"
  depends_on = [dataset.x]
}
