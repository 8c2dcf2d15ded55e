package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

// Policy is the security team's policy (formats.md §3).
type Policy struct {
	// RequireEncryption defaults to true: an unencrypted result is UNENCRYPTED.
	RequireEncryption *bool        `json:"requireEncryption,omitempty"`
	AllowedKeys       []AllowedKey `json:"allowedKeys,omitempty"`
}

// AllowedKey allows a key in the listed accounts and Regions (all, when a
// list is omitted). Key is resolved like any key reference, in the account
// and Region being checked.
type AllowedKey struct {
	Key      string   `json:"key"`
	Accounts []string `json:"accounts,omitempty"`
	Regions  []string `json:"regions,omitempty"`
}

// ParsePolicy reads a policy document; unknown fields and malformed key
// references are errors.
func ParsePolicy(b []byte) (Policy, error) {
	var p Policy
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Policy{}, fmt.Errorf("parse policy: %w", err)
	}
	for i, k := range p.AllowedKeys {
		if _, err := rules.ParseKeyRef(k.Key); err != nil {
			return Policy{}, fmt.Errorf("policy allowedKeys[%d]: %w", i, err)
		}
	}
	return p, nil
}

// LoadPolicy reads a policy file.
func LoadPolicy(path string) (Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Policy{}, fmt.Errorf("read policy: %w", err)
	}
	p, err := ParsePolicy(b)
	if err != nil {
		return Policy{}, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

func (p Policy) requireEncryption() bool { return p.RequireEncryption == nil || *p.RequireEncryption }

// applicable returns the allowed-key references that apply to an account and Region.
func (p Policy) applicable(account, region string) []string {
	var refs []string
	for _, k := range p.AllowedKeys {
		if (len(k.Accounts) == 0 || slices.Contains(k.Accounts, account)) &&
			(len(k.Regions) == 0 || slices.Contains(k.Regions, region)) {
			refs = append(refs, k.Key)
		}
	}
	return refs
}
