instructions "gsm8k" { # ERROR: Invalid instructions configuration
  path  = "gsm8k.jsonl"
  shape = "question_answer"
}

instructions "chat" { # ERROR: Invalid instructions configuration
  path   = "chat.jsonl"
  shape  = "messages"
  fields = { answer = "reply" }
}

chat_template "both" { # ERROR: Invalid chat_template configuration
  builtin = "chatml"
  user    = "{{content}}"
}

chat_template "no_marker" { # ERROR: Invalid chat_template configuration
  user              = "<|user|>"
  assistant         = "{{content}}</s>"
  generation_prompt = ""
  end_of_turn       = "</s>"
}

dataset "qa" {
  path = "qa.jsonl"
}

instructions "both" { # ERROR: Invalid instructions inputs
  input = dataset.qa
  path  = "qa.jsonl"
  shape = "qa"
}

instructions "neither" { # ERROR: Invalid instructions inputs
  shape = "qa"
}

preferences "hh" { # ERROR: Invalid preferences configuration
  path         = "hh.jsonl"
  shape        = "hh"
  val_fraction = 1
}

preferences "rm" { # ERROR: Invalid preferences configuration
  path         = "rm.jsonl"
  shape        = "ranked"
  ranked_pairs = "every"
}

preferences "neither" { # ERROR: Invalid preferences inputs
  shape = "pairs"
}
