package verify

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// source is what is known of the snapshot a new resource is made from.
type source struct {
	SnapshotID string
	State      rules.SourceState
	KeyRef     string // SRC as DescribeSnapshots (or the AMI's mapping) gives it
	Region     string // where the snapshot lives
	Owned      bool
	// Associated are the snapshot's associated KMS keys (AssociatedKmsKeys),
	// as DescribeSnapshots gives them.
	Associated []string
	// ownerKnown is set when the source's owner is known (CopyVolumes: the
	// volume's OwnerId or an ARN names it).
	ownerKnown bool
	// keyUnknown is set for an encrypted source whose key cannot be known
	// (an ImportImage snapshot the account cannot describe).
	keyUnknown bool
}

// keySet is the resolved keys of one resource, and why any is missing.
type keySet struct {
	rules.Keys
	why map[rules.KeyRole]error
}

// keys resolves the keys a target's row needs (rules.KeysNeeded), and no
// other: a key that does not exist is left empty with its reason, so that the
// prediction fails only if the row itself needs it; any other failure is
// returned.
func (s *session) keys(t target) (keySet, error) {
	ks := keySet{why: map[rules.KeyRole]error{}}
	ks.Associated = associatedARNs(t.src)
	need, err := rules.KeysNeeded(t.in)
	if err != nil {
		return ks, err
	}
	resolve := func(role rules.KeyRole, region, ref string) (string, error) {
		arn, err := s.mustResolve(region, ref)
		if err != nil && !errIsPermanentLookup(err) {
			return "", err
		}
		if err != nil {
			ks.why[role] = err
		}
		return arn, nil
	}
	for _, role := range need.Roles() {
		var arn string
		switch role {
		case rules.DefaultKeyRole:
			ref, err := s.defaultKeyRef(t.region)
			if err != nil {
				return ks, err
			}
			arn, err = resolve(role, t.region, ref)
			if err != nil {
				return ks, err
			}
			ks.Default = arn
		case rules.AWSManagedKeyRole:
			if ks.AWSManaged, err = resolve(role, t.region, rules.AWSManagedAlias); err != nil {
				return ks, err
			}
		case rules.RequestKeyRole:
			if t.in.KeyHidden {
				continue // hidden by CloudTrail: unknown, never looked up
			}
			if ks.Request, err = resolve(role, t.region, t.requestKey); err != nil {
				return ks, err
			}
		case rules.OriginalKeyRole:
			if ks.Original, err = resolve(role, t.region, t.origKey); err != nil {
				return ks, err
			}
		case rules.SourceKeyRole:
			if t.src.State != rules.EncryptedSource {
				continue
			}
			if t.src.keyUnknown {
				continue // predicted as an unknown key (rules.Input.SourceKeyUnknown)
			}
			if t.src.KeyRef == "" {
				ks.why[role] = fmt.Errorf("snapshot %s names no KMS key", t.src.SnapshotID)
				continue
			}
			if ks.Source, err = resolve(role, t.src.Region, t.src.KeyRef); err != nil {
				return ks, err
			}
			if ks.Source != "" {
				if ks.AssociatedIntended, err = s.associatedIntended(t, ks.Source); err != nil {
					return ks, err
				}
			}
			if rules.ReplicaIntended(t.in) && ks.Source != "" {
				if ks.SourceReplica, err = s.replica(t.region, ks.Source); err != nil {
					return ks, err
				}
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

// keyAnswer is a resolved key reference: its ARN, or that it does not exist.
type keyAnswer struct {
	ARN      string
	NotFound bool
	// AWSManaged is set for an AWS managed key (KeyManager AWS), which no
	// other account can describe.
	AWSManaged bool
}

// "Not found" is never kept across events: AWS creates alias/aws/ebs on its
// first use in an account and Region, and a kept "not found" would turn the
// fall-backs of the cache's lifetime into errors.
func (a keyAnswer) cacheable() bool { return !a.NotFound }

// resolveKey resolves a key reference to a key ARN in the account and Region
// (KMS DescribeKey). A key ARN names itself and needs no call; an alias ARN is
// asked in the Region it names.
func (s *session) resolveKey(region, ref string) (keyAnswer, error) {
	parsed, err := rules.ParseKeyRef(ref)
	if err != nil {
		return keyAnswer{}, err
	}
	switch parsed.Kind {
	case rules.KeyARN:
		return keyAnswer{ARN: parsed.String()}, nil
	case rules.AliasARN:
		region = parsed.Region
	}
	return s.describeKey(region, parsed.String())
}

// describeKey asks KMS, once per event and once per cache lifetime.
func (s *session) describeKey(region, ref string) (keyAnswer, error) {
	return remember(s, "key/"+s.account+"/"+region+"/"+ref, setting, func() (keyAnswer, error) {
		c, err := s.clients.KMS(s.ctx, s.account, region)
		if err != nil {
			return keyAnswer{}, fmt.Errorf("kms client for %s in %s: %w", s.account, region, err)
		}
		out, err := s.sdkKMS(c, region).DescribeKey(s.ctx, &kms.DescribeKeyInput{KeyId: aws.String(ref)})
		if isNotFound(err) {
			return keyAnswer{NotFound: true}, nil
		}
		if err != nil {
			return keyAnswer{}, &Error{Class: keyClass(err), Err: fmt.Errorf("describe key %s in %s: %w", ref, region, err)}
		}
		if out.KeyMetadata == nil || aws.ToString(out.KeyMetadata.Arn) == "" {
			return keyAnswer{}, &Error{Class: ClassKeyNotFound, Err: fmt.Errorf("describe key %s in %s: no key ARN in the answer", ref, region)}
		}
		return keyAnswer{ARN: aws.ToString(out.KeyMetadata.Arn), AWSManaged: out.KeyMetadata.KeyManager == kmstypes.KeyManagerTypeAws}, nil
	})
}

// mustResolve resolves a reference that has to exist.
func (s *session) mustResolve(region, ref string) (string, error) {
	a, err := s.resolveKey(region, ref)
	if err != nil {
		return "", err
	}
	if a.NotFound {
		return "", &Error{Class: ClassKeyNotFound, Err: fmt.Errorf("KMS key %s in %s: %w", ref, region, ErrNotFound)}
	}
	return a.ARN, nil
}

// keyClass is the class of a failure to resolve a key reference: the AWS
// error's when it says more (denied, throttled), else key-not-found.
func keyClass(err error) Class {
	switch c := ClassOf(err); c {
	case ClassNotFound, ClassMalformed, ClassLookupFailed, ClassInternal, "":
		return ClassKeyNotFound
	default:
		return c
	}
}

// errIsPermanentLookup tells a lookup answer that is final (not found, a
// malformed reference) from one to retry.
func errIsPermanentLookup(err error) bool {
	return isNotFound(err) || errors.Is(err, rules.ErrBadKeyRef)
}

// policy resolves the policy for the account and Region of a result. An
// allowed key that does not resolve there allows nothing there: the verdict
// says so in a warning rather than turning every encrypted result into an
// error.
func (s *session) policy(p Policy, region string, actual rules.State) (rules.Policy, error) {
	pol := rules.Policy{RequireEncryption: p.requireEncryption()}
	refs := p.applicable(s.account, region)
	if len(refs) == 0 || !actual.Encrypted {
		return pol, nil
	}
	pol.LimitKeys = true
	for _, ref := range refs {
		arn, err := s.mustResolve(region, ref)
		switch {
		case err == nil:
			pol.AllowedKeys = append(pol.AllowedKeys, arn)
		case errIsPermanentLookup(err):
			s.warn("policy: allowed key %s does not resolve in account %s, Region %s, so it allows nothing there (%v)", ref, s.account, region, err)
		default:
			return pol, fmt.Errorf("policy allowed key: %w", err)
		}
	}
	return pol, nil
}

// actual reads the encryption state of a result, which EC2 normally gives
// with a key ARN already.
func (s *session) actual(region string, encrypted *bool, keyID *string) (rules.State, error) {
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
