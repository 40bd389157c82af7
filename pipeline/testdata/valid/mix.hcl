dataset "web" {
  path = "web.jsonl"
}

dataset "books" {
  path = "books.txt"
}

clean "books" {
  input = dataset.books
}

mix "corpus" {
  inputs       = [dataset.web, clean.books]
  weights      = [3, 1]
  max_rows     = [0, 1000]
  on_exhausted = "continue"
  seed         = 3
}

mix "all" {
  inputs = [dataset.web, clean.books.rejects, mix.corpus]
}
