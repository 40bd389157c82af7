# Swaps a custom stage plugin into a pipeline: the plugin block points the
# stage kind "shuffle_split" at the binary this directory builds, and pins it
# by checksum (`make pin` rewrites the checksum after each build).

variable "seed" {
  type    = number
  default = 7
}

plugin "shuffle_split" {
  source   = "./bin/shuffle-split"
  checksum = "sha256:f177db2b0280386617ccf688e77079e9868e842df0ac71e465712a82f5b9345a"
}

dataset "corpus" {
  path      = "data/corpus.txt"
  format    = "text"
  text_mode = "line"
  seed      = var.seed
}

stage "shuffle_split" "corpus" {
  data = dataset.corpus
  seed = var.seed
  config {
    val_fraction = 0.2
  }
}

output "train" {
  value       = stage.corpus.train
  description = "80% of the lines, shuffled"
}

output "val" {
  value = stage.corpus.val
}
