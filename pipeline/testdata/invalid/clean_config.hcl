dataset "web" {
  path = "a.jsonl"
}

clean "web" { # ERROR: Invalid clean configuration
  input             = dataset.web
  max_drop_fraction = 1.5
}
