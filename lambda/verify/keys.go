package verify

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

// source is what is known of the snapshot a new resource is made from.
type source struct {
	SnapshotID string
	State      rules.SourceState
	KeyRef     string // SRC as DescribeSnapshots (or the AMI's mapping) gives it
	Region     string // where the snapshot lives
	Owned      bool
}

// keySet is the resolved keys of one resource, and why any is missing.
type keySet struct {
	rules.Keys
	why map[string]error // "SRC", "DEF", "K" → why it is unknown
}

// keys resolves SRC, DEF, the AWS managed key and K for one resource created
// in region. A key that does not exist is left empty with its reason (the
// prediction fails only if it needs that key); a transient failure is
// returned, since any missing default key could hide a finding.
func (s *session) keys(region string, src source, requestKey string, replicaWanted bool) (keySet, error) {
	ks := keySet{why: map[string]error{}}
	soft := func(role string, arn string, err error) (string, error) {
		if err != nil && !errIsPermanentLookup(err) {
			return "", err
		}
		if err != nil {
			ks.why[role] = err
		}
		return arn, nil
	}
	defRef, err := s.defaultKeyRef(region)
	if err != nil {
		return ks, err
	}
	arn, lerr := s.mustResolve(region, defRef)
	if ks.Default, err = soft("DEF", arn, lerr); err != nil {
		return ks, err
	}
	arn, lerr = s.mustResolve(region, rules.AWSManagedAlias)
	if ks.AWSManaged, err = soft("AWS managed key", arn, lerr); err != nil {
		return ks, err
	}
	if requestKey != "" {
		arn, lerr = s.mustResolve(region, requestKey)
		if ks.Request, err = soft("K", arn, lerr); err != nil {
			return ks, err
		}
	}
	if src.State == rules.EncryptedSource {
		if src.KeyRef == "" {
			ks.why["SRC"] = fmt.Errorf("snapshot %s names no KMS key", src.SnapshotID)
		} else {
			arn, lerr = s.mustResolve(src.Region, src.KeyRef)
			if ks.Source, err = soft("SRC", arn, lerr); err != nil {
				return ks, err
			}
		}
		if replicaWanted && ks.Source != "" {
			if ks.SourceReplica, err = s.replica(region, ks.Source); err != nil {
				return ks, err
			}
		}
	}
	return ks, nil
}

// replica returns the ARN of a multi-Region key's replica in region, or ""
// when the key is not multi-Region or has no replica there.
func (s *session) replica(region, arn string) (string, error) {
	ref, err := rules.ParseKeyRef(arn)
	if err != nil || !ref.MultiRegion() || ref.Region == region {
		return "", nil
	}
	a, err := s.describeKey(region, ref.InRegion(region).String())
	if err != nil {
		return "", err
	}
	return a.ARN, nil
}

// allowedKeys resolves the policy's allowed keys that apply to the account
// and Region.
func (s *session) allowedKeys(p Policy, region string) ([]string, error) {
	var out []string
	for _, ref := range p.applicable(s.account, region) {
		arn, err := s.mustResolve(region, ref)
		if err != nil {
			return nil, fmt.Errorf("policy allowed key: %w", err)
		}
		out = append(out, arn)
	}
	return out, nil
}

// resolveActual resolves the key of an actual resource, which EC2 normally
// gives as an ARN already.
func (s *session) resolveActual(region string, encrypted *bool, keyID *string) (rules.State, error) {
	if !isEncrypted(encrypted, keyID) {
		return rules.State{}, nil
	}
	if aws.ToString(keyID) == "" {
		return rules.State{Encrypted: true}, nil
	}
	arn, err := s.mustResolve(region, aws.ToString(keyID))
	if err != nil {
		return rules.State{}, err
	}
	return rules.EncryptedWith(arn), nil
}

// isEncrypted reads EC2's Encrypted flag; a hand-written world that names a
// key but omits the flag means encrypted.
func isEncrypted(encrypted *bool, keyID *string) bool {
	if encrypted != nil {
		return *encrypted
	}
	return aws.ToString(keyID) != ""
}
