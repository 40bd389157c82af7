package artifact

import "os"

// bgSyncEvery is how much a shard grows between background syncs: enough
// that each fsync writes many pages at once, little enough that the
// commit's fsync finds only the tail of the file to write.
const bgSyncEvery = 8 << 20

// bgSync fsyncs a file in a goroutine of its own when poked, so that the
// writer never waits for the disk; pokes while a sync runs coalesce.
type bgSync struct {
	kick chan struct{}
	done chan struct{}
}

func startBgSync(f *os.File) *bgSync {
	s := &bgSync{kick: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for range s.kick {
			f.Sync() // a failure shows again in the commit's fsync
		}
	}()
	return s
}

func (s *bgSync) poke() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// stop drops a pending sync and waits for one in progress; the file may
// be closed after.
func (s *bgSync) stop() {
	select {
	case <-s.kick:
	default:
	}
	close(s.kick)
	<-s.done
}
