dataset "only" {
  path = "x.jsonl"
}
