dataset "web" {
  path = "a.jsonl"
  format = = "jsonl" # ERROR: Invalid expression
}
