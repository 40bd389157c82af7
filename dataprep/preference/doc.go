// Package preference holds preference datasets: a conversation up to a user
// turn and two answers to it, one preferred (chosen) over the other
// (rejected). It defines the dataset's columns and reads and writes its
// pairs; the alignment stages train on them.
package preference
