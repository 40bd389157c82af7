executor "cluster" {
  default       = true
  partition     = "debug"
  account       = "lab"
  qos           = "normal"
  time_limit    = "90m"
  cpus_per_task = 2
  mem           = "4G"
  extra_args    = ["--exclusive"]
}

executor "here" {
  type = "local"
}

dataset "web" {
  path     = "a.jsonl"
  executor = executor.here
}

stage "pretrain" "base" {
  data     = dataset.web
  executor = executor.cluster
  config {}
}
