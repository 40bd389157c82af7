package artifact

import "github.com/llmflow/llmflow/internal/testenv"

// sharedData returns the path of a file in the shared real data sets,
// skipping when it is absent (failing under CI=true).
var sharedData = testenv.SharedFile
