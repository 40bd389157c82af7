package align

import "github.com/llmflow/llmflow/plugins/align/rewardscore"

// scoreItem is an answer to a prompt conversation.
type scoreItem = rewardscore.Item

// scorer scores answers, higher for better; an item's score does not
// depend on the other items or on batch, the rows evaluated together.
type scorer interface {
	Score(items []scoreItem, batch int) ([]float64, error)
}

// loadRewardScorer reads the reward model in dir, scoring as the reward
// stage trained it.
func loadRewardScorer(dir string) (*rewardscore.Scorer, error) { return rewardscore.Load(dir) }
