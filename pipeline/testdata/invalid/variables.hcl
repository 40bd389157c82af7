variable "a" {
  type = strin # ERROR: Invalid type specification
}

variable "b" {
  default   = 1
  sensitive = "yes please" # ERROR: Incorrect attribute value type
  validation {
    condition     = var.a == 1 # ERROR: Invalid validation reference
    error_message = "must be one"
  }
}

variable "b" { # ERROR: Duplicate variable "b"
}

variable "c" {
  default = 1
  validation { # ERROR: Missing required argument
    condition = var.c > 0
  }
}

locals {
  x = var.b
}

locals {
  x = 2 # ERROR: Duplicate local value "x"
}

dataset "d" {
  path = "${local.x}.jsonl"
  seed = local # ERROR: Invalid reference
}
