package sdk

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	"github.com/zclconf/go-cty/cty/msgpack"

	"github.com/llmflow/llmflow/plugins/sdk/proto/stagev1"
)

// EncodeValue encodes v for the wire. Marks (such as sensitive) are dropped:
// the plugin needs the real value, and the host keeps the marks itself.
func EncodeValue(v cty.Value) (*stagev1.DynamicValue, error) {
	if v == cty.NilVal {
		return nil, nil
	}
	v, _ = v.UnmarkDeep()
	ty := v.Type()
	tj, err := ctyjson.MarshalType(ty)
	if err != nil {
		return nil, fmt.Errorf("encode type %s: %w", ty.FriendlyName(), err)
	}
	mp, err := msgpack.Marshal(v, ty)
	if err != nil {
		return nil, fmt.Errorf("encode value: %w", err)
	}
	return &stagev1.DynamicValue{Msgpack: mp, TypeJson: tj}, nil
}

// DecodeValue decodes a wire value; nil decodes to cty.NilVal.
func DecodeValue(dv *stagev1.DynamicValue) (cty.Value, error) {
	if dv == nil {
		return cty.NilVal, nil
	}
	ty, err := DecodeType(dv.TypeJson)
	if err != nil {
		return cty.NilVal, err
	}
	v, err := msgpack.Unmarshal(dv.Msgpack, ty)
	if err != nil {
		return cty.NilVal, fmt.Errorf("decode value of type %s: %w", ty.FriendlyName(), err)
	}
	return v, nil
}

// DecodeType decodes a cty type from its JSON encoding.
func DecodeType(b []byte) (cty.Type, error) {
	ty, err := ctyjson.UnmarshalType(b)
	if err != nil {
		return cty.NilType, fmt.Errorf("decode type %q: %w", truncate(string(b), 80), err)
	}
	return ty, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
