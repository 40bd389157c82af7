package dedup

import "github.com/llmflow/llmflow/internal/testenv"

// Short names for the shared-data helpers, used by quality_test.go.
var (
	sharedData    = testenv.SharedData
	readJSONLText = testenv.ReadJSONLText
	chunkLines    = testenv.ChunkLines
)
