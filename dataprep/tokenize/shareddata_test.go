package tokenize

import "github.com/llmflow/llmflow/internal/testenv"

// sharedData returns the shared real-data directory, skipping when it is
// absent (failing under CI=true).
var sharedData = testenv.SharedData
