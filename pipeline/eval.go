package pipeline

import (
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// sensitiveMark marks values that came from a sensitive variable; cty
// carries marks through every expression that uses them, which is how
// derived values are kept out of output and the run store.
const sensitiveMark = "sensitive"

// Functions returns the functions available in pipeline expressions: the
// go-cty standard library under their usual HCL names.
func Functions() map[string]function.Function {
	return map[string]function.Function{
		"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "floor": stdlib.FloorFunc,
		"max": stdlib.MaxFunc, "min": stdlib.MinFunc, "pow": stdlib.PowFunc,
		"log": stdlib.LogFunc, "parseint": stdlib.ParseIntFunc, "signum": stdlib.SignumFunc,
		"upper": stdlib.UpperFunc, "lower": stdlib.LowerFunc, "title": stdlib.TitleFunc,
		"trimspace": stdlib.TrimSpaceFunc, "trim": stdlib.TrimFunc, "trimprefix": stdlib.TrimPrefixFunc,
		"trimsuffix": stdlib.TrimSuffixFunc, "replace": stdlib.ReplaceFunc, "split": stdlib.SplitFunc,
		"join": stdlib.JoinFunc, "format": stdlib.FormatFunc, "formatlist": stdlib.FormatListFunc,
		"substr": stdlib.SubstrFunc, "strlen": stdlib.StrlenFunc, "regex": stdlib.RegexFunc,
		"length": stdlib.LengthFunc, "concat": stdlib.ConcatFunc, "contains": stdlib.ContainsFunc,
		"distinct": stdlib.DistinctFunc, "flatten": stdlib.FlattenFunc, "keys": stdlib.KeysFunc,
		"values": stdlib.ValuesFunc, "merge": stdlib.MergeFunc, "range": stdlib.RangeFunc,
		"reverse": stdlib.ReverseListFunc, "slice": stdlib.SliceFunc, "sort": stdlib.SortFunc,
		"element": stdlib.ElementFunc, "lookup": stdlib.LookupFunc, "zipmap": stdlib.ZipmapFunc,
		"coalesce": stdlib.CoalesceFunc, "jsonencode": stdlib.JSONEncodeFunc,
		"jsondecode": stdlib.JSONDecodeFunc, "tostring": stdlib.MakeToFunc(cty.String),
		"tonumber": stdlib.MakeToFunc(cty.Number), "tobool": stdlib.MakeToFunc(cty.Bool),
	}
}

// evalContext builds the context for expressions from variable and local
// values. When marked is false the sensitive marks are stripped, for
// decoders that cannot handle marks; the values are the same.
func evalContext(vars, locals map[string]cty.Value, marked bool) *hcl.EvalContext {
	strip := func(m map[string]cty.Value) cty.Value {
		out := map[string]cty.Value{}
		for k, v := range m {
			if !marked {
				v, _ = v.UnmarkDeep()
			}
			out[k] = v
		}
		return cty.ObjectVal(out)
	}
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": strip(vars), "local": strip(locals)},
		Functions: sharedFunctions(),
	}
}

// sharedFunctions builds the function table once; evaluation only reads it.
var sharedFunctions = sync.OnceValue(Functions)
