package sdk

import (
	"fmt"
	"sort"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"
)

// ApplyDefaults returns cfg as an object of d.ConfigType(): each attribute
// converted to its declared type, absent or null ones set to their default
// (or null). A missing required attribute or an undeclared one is an error.
// A null or nil cfg counts as an empty config.
func (d *Description) ApplyDefaults(cfg cty.Value) (cty.Value, error) {
	given := map[string]cty.Value{}
	var marks cty.ValueMarks
	if cfg != cty.NilVal {
		// A sensitive config stays sensitive; the attributes keep their own marks.
		cfg, marks = cfg.Unmark()
	}
	if cfg != cty.NilVal && !cfg.IsNull() {
		if !cfg.IsKnown() {
			return cty.UnknownVal(d.ConfigType()).WithMarks(marks), nil
		}
		ty := cfg.Type()
		if !ty.IsObjectType() && !ty.IsMapType() {
			return cty.NilVal, fmt.Errorf("config must be an object, not %s", ty.FriendlyName())
		}
		given = cfg.AsValueMap()
	}
	declared := map[string]bool{}
	out := make(map[string]cty.Value, len(d.Config))
	for _, a := range d.Config {
		declared[a.Name] = true
		v, ok := given[a.Name]
		switch {
		case ok && !v.IsNull():
			cv, err := convert.Convert(v, a.Type)
			if err != nil {
				return cty.NilVal, fmt.Errorf("attribute %q: %s", a.Name, err)
			}
			out[a.Name] = cv
		case a.Required:
			return cty.NilVal, fmt.Errorf("attribute %q is required", a.Name)
		case a.Default != cty.NilVal && !a.Default.IsNull():
			cv, err := convert.Convert(a.Default, a.Type)
			if err != nil {
				return cty.NilVal, fmt.Errorf("attribute %q default: %s", a.Name, err)
			}
			out[a.Name] = cv
		default:
			out[a.Name] = cty.NullVal(a.Type)
		}
	}
	var extra []string
	for name := range given {
		if !declared[name] {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return cty.NilVal, fmt.Errorf("unsupported attribute %q", extra[0])
	}
	if len(out) == 0 {
		return cty.EmptyObjectVal.WithMarks(marks), nil
	}
	return cty.ObjectVal(out).WithMarks(marks), nil
}

// DecodeRunConfig applies d's defaults to a run's config, gives a "seed"
// attribute left null the run's seed, and decodes the result into dst.
func (d *Description) DecodeRunConfig(cfg cty.Value, seed int64, dst any) error {
	cfg, err := d.ApplyDefaults(cfg)
	if err != nil {
		return err
	}
	vals := cfg.AsValueMap()
	if v, ok := vals["seed"]; ok && v.IsNull() {
		vals["seed"] = cty.NumberIntVal(seed)
	}
	return DecodeConfig(cty.ObjectVal(vals), dst)
}

// DecodeConfig copies a config object into dst, a pointer to a struct whose
// fields carry `cty:"name"` tags for every config attribute. Attributes that
// may be null must be pointer fields.
func DecodeConfig(cfg cty.Value, dst any) error {
	if err := gocty.FromCtyValue(cfg, dst); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}
