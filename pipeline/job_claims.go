package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The tasks of a sharded node's job array share out its shards through
// files in the job directory: a task claims a shard by creating its claim
// file, which only one can, and marks it done once its parts are written.
// A cluster that runs fewer tasks at once than there are shards starts
// the rest one scheduling round after another; the tasks already running
// take on the shards of those still queued instead, and the late ones
// find nothing left to do.
type shardClaims struct {
	dir    string
	shards int
}

func newShardClaims(jobDir string, shards int) (*shardClaims, error) {
	c := &shardClaims{dir: claimsDir(jobDir), shards: shards}
	return c, os.MkdirAll(c.dir, 0o755)
}

func claimsDir(jobDir string) string { return filepath.Join(jobDir, "claims") }

// claim takes name for the caller; false when another task has it. O_EXCL
// holds on NFS from version 3 on.
func (c *shardClaims) claim(name string) (bool, error) {
	f, err := os.OpenFile(filepath.Join(c.dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, f.Close()
}

func (c *shardClaims) has(name string) bool {
	_, err := os.Stat(filepath.Join(c.dir, name))
	return err == nil
}

func claimName(shard int) string { return fmt.Sprintf("shard-%05d", shard) }
func doneName(shard int) string  { return fmt.Sprintf("done-%05d", shard) }

const (
	failedName = "failed" // a shard failed: the node fails, so leave the rest
	mergeName  = "merge"
)

// markDone records that shard's parts are all written.
func (c *shardClaims) markDone(shard int) error {
	_, err := c.claim(doneName(shard))
	return err
}

// markFailed tells the other tasks to stop taking shards.
func (c *shardClaims) markFailed() { c.claim(failedName) }

// allDone tells whether every shard is done, as far as this task sees: on
// a network filesystem a task may not yet see another's marker, and then
// the host merges after the array.
func (c *shardClaims) allDone() bool {
	for i := range c.shards {
		if !c.has(doneName(i)) {
			return false
		}
	}
	return true
}

// order is the order in which task tries the shards: its own first, where
// a cluster that starts every task at once finds it free, then the rest
// from the first.
func (c *shardClaims) order(task int) []int {
	order := []int{task}
	for i := range c.shards {
		if i != task {
			order = append(order, i)
		}
	}
	return order
}
