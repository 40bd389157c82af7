package pii

import (
	"fmt"
	"strings"
)

// Entity is a kind of personal data or secret.
type Entity uint8

// Entities in the order they are counted.
const (
	Email Entity = iota
	Phone
	IPAddress
	CreditCard
	IBAN
	USSSN
	CNID
	Secret
	NumEntities // number of entity kinds
)

var entityNames = [NumEntities]string{"EMAIL", "PHONE", "IP_ADDRESS", "CREDIT_CARD", "IBAN", "US_SSN", "CN_ID", "SECRET"}

// String returns the tag name, e.g. "EMAIL" or "IP_ADDRESS".
func (e Entity) String() string {
	if e < NumEntities {
		return entityNames[e]
	}
	return fmt.Sprintf("Entity(%d)", e)
}

// ParseEntity accepts an entity name in any case, with the aliases "ip",
// "card", "ssn", "cn_id" / "cnid", "phone_number" and "email_address".
func ParseEntity(s string) (Entity, bool) {
	n := strings.ToUpper(strings.TrimSpace(s))
	for e, name := range entityNames {
		if n == name {
			return Entity(e), true
		}
	}
	switch n {
	case "IP", "IPV4", "IPV6":
		return IPAddress, true
	case "CARD", "CREDIT_CARD_NUMBER":
		return CreditCard, true
	case "SSN":
		return USSSN, true
	case "CNID", "CN_RESIDENT_ID":
		return CNID, true
	case "PHONE_NUMBER":
		return Phone, true
	case "EMAIL_ADDRESS":
		return Email, true
	case "SECRETS", "KEY", "API_KEY":
		return Secret, true
	}
	return 0, false
}

// Replacement modes of Config.Replace.
const (
	ReplaceTag  = "tag"  // <EMAIL>
	ReplaceMask = "mask" // one '*' per byte of the value
	ReplaceHash = "hash" // <EMAIL:16 hex digits of a salted SHA-256>
)

// Config configures scrubbing. Its hcl tags let gohcl.DecodeBody fill it
// from a pipeline block or a `llmflow prep --config` file; attributes left
// out keep the value they had, so decode into DefaultConfig().
type Config struct {
	// Field is the text column of the dataset.
	Field string `hcl:"field,optional"`
	// Entities lists the kinds to find (see ParseEntity); empty means all.
	Entities []string `hcl:"entities,optional"`
	// Replace is "tag", "mask" or "hash".
	Replace string `hcl:"replace,optional"`
	// Salt is mixed into hashes when Replace is "hash".
	Salt string `hcl:"salt,optional"`
	// Workers bounds the goroutines of Run; 0 means GOMAXPROCS. The output
	// does not depend on it.
	Workers int `hcl:"workers,optional" json:"-"` // not part of a cache key: the output does not depend on it
}

// DefaultConfig returns the documented defaults: every entity, replaced by
// its tag, in the "text" column.
func DefaultConfig() Config {
	return Config{Field: "text", Replace: ReplaceTag}
}

// Validate reports the first invalid field by its HCL name.
func (c Config) Validate() error {
	_, err := c.entitySet()
	if err != nil {
		return err
	}
	switch c.Replace {
	case ReplaceTag, ReplaceMask, ReplaceHash:
	default:
		return fmt.Errorf("pii: replace: %q is not one of %q, %q, %q", c.Replace, ReplaceTag, ReplaceMask, ReplaceHash)
	}
	if c.Field == "" {
		return fmt.Errorf("pii: field: must not be empty")
	}
	if c.Workers < 0 {
		return fmt.Errorf("pii: workers: %d is negative", c.Workers)
	}
	return nil
}

func (c Config) entitySet() (set [NumEntities]bool, err error) {
	if len(c.Entities) == 0 {
		for i := range set {
			set[i] = true
		}
		return set, nil
	}
	for i, s := range c.Entities {
		e, ok := ParseEntity(s)
		if !ok {
			return set, fmt.Errorf("pii: entities[%d]: unknown entity %q (want one of %s)", i, s, strings.Join(entityNames[:], ", "))
		}
		set[e] = true
	}
	return set, nil
}
