package rules

import (
	"errors"
	"fmt"
	"strings"
)

// KeyRefKind is the form of a KMS key reference.
type KeyRefKind uint8

// The forms a kmsKeyId may take.
const (
	KeyID KeyRefKind = iota + 1
	KeyARN
	AliasName
	AliasARN
)

// AWSManagedAlias is the alias of the AWS managed key for EBS.
const AWSManagedAlias = "alias/aws/ebs"

// ErrBadKeyRef is returned for a string that is no KMS key reference.
var ErrBadKeyRef = errors.New("rules: not a KMS key reference")

// KeyRef is a parsed KMS key reference. For ARNs, Partition, Region and
// Account come from the ARN; Name is the key ID or the alias name
// ("alias/x").
type KeyRef struct {
	Kind      KeyRefKind
	Partition string
	Region    string
	Account   string
	Name      string
}

// ParseKeyRef parses a key ID, key ARN, alias name or alias ARN.
func ParseKeyRef(s string) (KeyRef, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return KeyRef{}, fmt.Errorf("%w: empty", ErrBadKeyRef)
	case strings.HasPrefix(s, "arn:"):
		return parseKeyARN(s)
	case strings.HasPrefix(s, "alias/"):
		if len(s) == len("alias/") || strings.ContainsAny(s, ": ") {
			return KeyRef{}, fmt.Errorf("%w: %q", ErrBadKeyRef, s)
		}
		return KeyRef{Kind: AliasName, Name: s}, nil
	case strings.ContainsAny(s, "/: "):
		return KeyRef{}, fmt.Errorf("%w: %q", ErrBadKeyRef, s)
	default:
		return KeyRef{Kind: KeyID, Name: s}, nil
	}
}

// parseKeyARN parses arn:PARTITION:kms:REGION:ACCOUNT:key/ID or .../alias/NAME.
func parseKeyARN(s string) (KeyRef, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[2] != "kms" || parts[1] == "" || parts[3] == "" || parts[4] == "" {
		return KeyRef{}, fmt.Errorf("%w: %q", ErrBadKeyRef, s)
	}
	r := KeyRef{Partition: parts[1], Region: parts[3], Account: parts[4]}
	res := parts[5]
	switch {
	case strings.HasPrefix(res, "key/") && len(res) > len("key/"):
		r.Kind, r.Name = KeyARN, strings.TrimPrefix(res, "key/")
	case strings.HasPrefix(res, "alias/") && len(res) > len("alias/"):
		r.Kind, r.Name = AliasARN, res
	default:
		return KeyRef{}, fmt.Errorf("%w: %q", ErrBadKeyRef, s)
	}
	return r, nil
}

// MultiRegion reports whether the reference names a multi-Region key
// (key IDs "mrk-…").
func (r KeyRef) MultiRegion() bool {
	return (r.Kind == KeyID || r.Kind == KeyARN) && strings.HasPrefix(r.Name, "mrk-")
}

// String returns the reference in its canonical text form.
func (r KeyRef) String() string {
	switch r.Kind {
	case KeyARN, AliasARN:
		res := r.Name
		if r.Kind == KeyARN {
			res = "key/" + r.Name
		}
		return fmt.Sprintf("arn:%s:kms:%s:%s:%s", r.Partition, r.Region, r.Account, res)
	default:
		return r.Name
	}
}

// InRegion returns the key ARN of the same key ID in another Region: the ARN
// a multi-Region key's replica has there. It is meaningful only for key ARNs.
func (r KeyRef) InRegion(region string) KeyRef {
	r.Region = region
	return r
}
