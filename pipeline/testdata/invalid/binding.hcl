variable "lr" {
  type    = number
  default = -1
  validation {
    condition     = var.lr > 0 # ERROR: Invalid value for variable lr
    error_message = "lr must be positive."
  }
}
