instructions "gsm8k" { # ERROR: Invalid instructions configuration
  path  = "gsm8k.jsonl"
  shape = "question_answer"
}

instructions "chat" { # ERROR: Invalid instructions configuration
  path   = "chat.jsonl"
  shape  = "messages"
  fields = { answer = "reply" }
}
