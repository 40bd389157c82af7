package sdk

import (
	"fmt"
	"reflect"
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
// may be null must be pointer fields. An exported embedded struct field without
// a tag takes the attributes its own fields name, so stages can share one block of
// settings (plugins/trainer.Config) and still decode their config at once.
func DecodeConfig(cfg cty.Value, dst any) error {
	rest, err := decodeEmbedded(cfg, reflect.ValueOf(dst))
	if err != nil {
		return err
	}
	if err := gocty.FromCtyValue(rest, dst); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// decodeEmbedded decodes into the untagged embedded structs of *dst the
// attributes they name and returns the others.
func decodeEmbedded(cfg cty.Value, dst reflect.Value) (cty.Value, error) {
	if dst.Kind() != reflect.Pointer || dst.Elem().Kind() != reflect.Struct ||
		!cfg.Type().IsObjectType() || cfg.IsMarked() || !cfg.IsWhollyKnown() || cfg.IsNull() {
		return cfg, nil
	}
	rest := cfg.AsValueMap()
	st := dst.Elem().Type()
	for i := range st.NumField() {
		f := st.Field(i)
		if !f.Anonymous || !f.IsExported() || f.Tag.Get("cty") != "" || f.Type.Kind() != reflect.Struct {
			continue
		}
		part := map[string]cty.Value{}
		for _, name := range ctyNames(f.Type) {
			if v, ok := rest[name]; ok {
				part[name] = v
				delete(rest, name)
			}
		}
		if err := DecodeConfig(objectVal(part), dst.Elem().Field(i).Addr().Interface()); err != nil {
			return cty.NilVal, err
		}
	}
	return objectVal(rest), nil
}

// ctyNames lists the attribute names a struct type decodes, embedded structs
// included.
func ctyNames(st reflect.Type) []string {
	var names []string
	for i := range st.NumField() {
		f := st.Field(i)
		if name := f.Tag.Get("cty"); name != "" {
			names = append(names, name)
		} else if f.Anonymous && f.IsExported() && f.Type.Kind() == reflect.Struct {
			names = append(names, ctyNames(f.Type)...)
		}
	}
	return names
}

func objectVal(attrs map[string]cty.Value) cty.Value {
	if len(attrs) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(attrs)
}

// Checker is a decoded stage config that checks itself.
type Checker interface{ Check() Diagnostics }

// ValidateConfig implements the usual Stage.Validate: it decodes cfg with
// d's defaults into a C and returns C's own Check, or one diagnostic when
// the config does not decode. A config with unknown values (not yet
// evaluated at plan time) passes.
func ValidateConfig[C Checker](d *Description, cfg cty.Value) Diagnostics {
	if !cfg.IsWhollyKnown() {
		return nil
	}
	var c C
	if err := d.DecodeRunConfig(cfg, 0, &c); err != nil {
		return Diagnostics{Errorf("", "Invalid "+d.Name+" config", "%s", err)}
	}
	return c.Check()
}
