// Command shuffle-split is an example llmflow stage plugin: it shuffles a
// text dataset with the node's seed and splits it into train and val
// datasets. Build it with make, then point a plugin block at the binary;
// README.md walks through it.
package main

import "github.com/llmflow/llmflow/plugins/sdk"

func main() {
	sdk.Serve(ShuffleSplit{})
}
