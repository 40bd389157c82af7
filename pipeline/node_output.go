package pipeline

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/llmflow/llmflow/artifact"
)

// inputDataset opens the committed dataset behind input name.
func (r *NodeRun) inputDataset(name string) (*artifact.Dataset, error) {
	in, ok := r.Inputs[name]
	if !ok {
		return nil, fmt.Errorf("input %q is not connected", name)
	}
	ds, err := artifact.OpenDataset(in.Path)
	if err != nil {
		return nil, fmt.Errorf("input %q: %w", name, err)
	}
	return ds, nil
}

// datasetOutput is one dataset a node is writing: a staging directory in the
// store and an Arrow writer into it.
type datasetOutput struct {
	st *artifact.Staging
	w  *artifact.DatasetWriter
}

// newDatasetOutput stages a dataset of kind with schema.
func (r *NodeRun) newDatasetOutput(kind string, schema *arrow.Schema, opts ...artifact.WriterOption) (*datasetOutput, error) {
	st, err := r.Store.NewStaging(kind)
	if err != nil {
		return nil, err
	}
	// Hashed and synced as written, so that the commit need not read it
	// back nor wait long for the disk.
	w, err := artifact.NewDatasetWriter(st.Dir(), schema, append([]artifact.WriterOption{artifact.WithFileHashes(), artifact.WithBackgroundSync()}, opts...)...)
	if err != nil {
		st.Abort()
		return nil, err
	}
	return &datasetOutput{st: st, w: w}, nil
}

// commit closes the writer and commits the dataset, returning its digest.
func (o *datasetOutput) commit(meta map[string]string) (string, error) {
	if err := o.w.Close(); err != nil {
		o.st.Abort()
		return "", err
	}
	o.st.SetFiles(o.w.Files())
	o.st.SetRows(o.w.Rows())
	o.st.SetSchema(artifact.SchemaString(o.w.Schema()))
	for k, v := range meta {
		o.st.SetMeta(k, v)
	}
	m, err := o.st.Commit()
	if err != nil {
		return "", err
	}
	return m.Digest, nil
}

// abort drops a dataset that will not be committed; safe after commit.
func (o *datasetOutput) abort() {
	o.w.Abort()
	o.st.Abort()
}
