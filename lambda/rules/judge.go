package rules

import "slices"

// Finding codes, as spec/rules.md names them.
const (
	KeyMismatch        = "KEY_MISMATCH"
	DefaultKeyFallback = "DEFAULT_KEY_FALLBACK"
	UnencryptedCode    = "UNENCRYPTED"
	DisallowedKey      = "DISALLOWED_KEY"
)

// Severities of findings.
const (
	High   = "high"
	Medium = "medium"
)

// Finding is one reason a resulting resource is not what was intended.
type Finding struct {
	Code     string
	Severity string
}

// Policy is the security team's policy, resolved for one account and Region.
type Policy struct {
	RequireEncryption bool
	// LimitKeys is set when allowed-keys entries apply to this account and
	// Region: only AllowedKeys are allowed then (none, if no entry resolves).
	LimitKeys bool
	// AllowedKeys are the key ARNs allowed in this account and Region.
	AllowedKeys []string
}

// Judge compares the actual state of a resource with its prediction, its
// intended key and the policy. Findings come in the order of spec/rules.md.
func Judge(p Prediction, actual State, k Keys, pol Policy) []Finding {
	var out []Finding
	if !p.PolicyOnly && actual != p.Expected && !slices.Contains(p.Alternatives, actual) {
		out = append(out, Finding{KeyMismatch, High})
	}
	intendedOther := (p.IntendedKeyARN != "" && p.IntendedKeyARN != actual.KMSKeyARN) || p.IntendedUnknown
	if !p.PolicyOnly && actual.Encrypted && k.IsDefault(actual.KMSKeyARN) && intendedOther {
		sev := Medium
		if actual.KMSKeyARN == k.AWSManaged {
			// Snapshots under the AWS managed key can never be shared.
			sev = High
		}
		out = append(out, Finding{DefaultKeyFallback, sev})
	}
	if !actual.Encrypted && pol.RequireEncryption {
		out = append(out, Finding{UnencryptedCode, High})
	}
	if actual.Encrypted && pol.LimitKeys && !slices.Contains(pol.AllowedKeys, actual.KMSKeyARN) {
		out = append(out, Finding{DisallowedKey, Medium})
	}
	return out
}
