package model

import (
	"encoding/binary"
	"fmt"
	"path/filepath"

	"github.com/llmflow/llmflow/artifact/safetensors"
	"github.com/llmflow/llmflow/model/kernel"
)

// MasterFile holds a checkpoint's fp32 parameters when its weights were
// saved in bf16, so that a resumed run continues from the exact values.
const MasterFile = "master_weights.safetensors"

// weightTensor encodes v as an F32 or BF16 tensor.
func weightTensor(name string, shape []int64, v []float32, dtype Precision) safetensors.Tensor {
	if dtype != BF16 {
		return safetensors.Float32Tensor(name, shape, v)
	}
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], kernel.ToBF16(x))
	}
	return safetensors.Tensor{Name: name, DType: safetensors.BF16, Shape: shape, Data: b}
}

// torchDType is config.json's torch_dtype for weights saved as dtype.
func torchDType(dtype Precision) string {
	if dtype == BF16 {
		return "bfloat16"
	}
	return "float32"
}

// SaveMasterWeights writes every parameter of m in fp32 to dir/MasterFile.
func SaveMasterWeights(dir string, m *Model) error {
	ts := []safetensors.Tensor{safetensors.Float32Tensor("params", []int64{int64(len(m.Params))}, m.Params)}
	return safetensors.WriteFile(filepath.Join(dir, MasterFile), ts, map[string]string{"format": "pt"})
}

// LoadMasterWeights restores the parameters SaveMasterWeights wrote.
func LoadMasterWeights(dir string, m *Model) error {
	path := filepath.Join(dir, MasterFile)
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return err
	}
	v, _, err := f.Float32("params")
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	if len(v) != len(m.Params) {
		return fmt.Errorf("%s: holds %d parameters, the model has %d", path, len(v), len(m.Params))
	}
	copy(m.Params, v)
	m.ParamsChanged()
	return nil
}
