// Package slurm runs pipeline jobs as Slurm batch jobs: sbatch submits a
// small script that runs the job's command, scontrol (or sacct, where
// accounting keeps jobs that scontrol has forgotten) reports the state,
// and scancel stops it when the run is interrupted.
//
// The job directory lies in the store on a filesystem the host and the
// cluster share; the submitted job id is kept there so that a host that
// was killed while the job was queued attaches to it on the next run
// instead of submitting it again.
package slurm
