package slurm

import (
	"testing"

	"github.com/llmflow/llmflow/pipeline"
)

// FuzzParseStates feeds arbitrary scheduler output to the parsers of
// scontrol and sacct and to the messages built from them.
func FuzzParseStates(f *testing.F) {
	f.Add("JobId=7 ArrayJobId=7 ArrayTaskId=0-3 JobState=PENDING ExitCode=0:0\n", 4)
	f.Add("JobId=8 ArrayJobId=7 ArrayTaskId=1 JobState=OUT_OF_MEMORY ExitCode=0:125 StdOut=/x\n", 2)
	f.Add("7_0|COMPLETED|0:0\n7_1|CANCELLED by 0|0:15\n7_[2-3]|PENDING|0:0\n", 4)
	f.Fuzz(func(t *testing.T, out string, want int) {
		want = max(min(want, 1<<16), 1)
		ex := &pipeline.Executor{Name: "e"}
		for _, s := range []*jobState{parseScontrol(out, "7", want), parseSacct(out, "7", want)} {
			s.summary()
			s.failure("7", "n", ex)
		}
	})
}
