package verify

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// Associated KMS keys (spec/rules.md, "Associated KMS keys"): an owner may
// associate additional keys with an encrypted snapshot, a second way to its
// data for sharing and copying. No row changes; verdicts record them, the
// shared rows accept them (rules.alternatives), and one of them may be the
// intended key.

// associatedKeys reads a snapshot's associated keys as DescribeSnapshots
// gives them; a marker is no key.
func associatedKeys(snap ec2types.Snapshot) []string {
	var out []string
	for _, k := range snap.AssociatedKmsKeys {
		if id := unhide(aws.ToString(k.KmsKeyId)); id != "" {
			out = append(out, id)
		}
	}
	return out
}

// associatedARNs are the source's associated keys that are key ARNs (what
// DescribeSnapshots gives); anything else cannot be compared with a result's
// key and is left out of the alternatives.
func associatedARNs(src source) []string {
	var out []string
	for _, ref := range src.Associated {
		if r, err := rules.ParseKeyRef(ref); err == nil && r.Kind == rules.KeyARN {
			out = append(out, r.String())
		}
	}
	return out
}

// associatedIntended returns the source's one associated key when SRC is a
// key of another account that the caller cannot describe (an AWS managed key
// never can be): that key, not SRC, is then the intended one. It returns ""
// otherwise: no associated key, several (no single one is intended), or an
// SRC of the account's own or one it can describe.
func (s *session) associatedIntended(t target, srcARN string) (string, error) {
	assoc := associatedARNs(t.src)
	if len(assoc) != 1 {
		return "", nil
	}
	ref, err := rules.ParseKeyRef(srcARN)
	if err != nil || ref.Account == "" || ref.Account == s.account {
		return "", nil
	}
	a, err := s.describeKey(t.src.Region, srcARN)
	switch {
	case err != nil && IsTransient(err):
		return "", fmt.Errorf("describe source key %s: %w", srcARN, err)
	case err != nil, a.NotFound, a.AWSManaged:
		return assoc[0], nil
	}
	return "", nil
}

// describeSource names the source snapshot and its keys for a message, when
// it has associated keys: " from snapshot snap-9 (encrypted with KA,
// associated key KB)".
func describeSource(t target) string {
	if len(t.src.Associated) == 0 || t.src.SnapshotID == "" {
		return ""
	}
	word := "associated key"
	if len(t.src.Associated) > 1 {
		word = "associated keys"
	}
	shared := ""
	if !t.src.Owned {
		shared = "shared "
	}
	key := t.src.KeyRef
	if key == "" {
		key = "an unknown key"
	}
	return fmt.Sprintf(" from %ssnapshot %s (encrypted with %s, %s %s)", shared, t.src.SnapshotID, key, word, strings.Join(t.src.Associated, ", "))
}
