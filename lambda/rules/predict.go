package rules

import "fmt"

// Prediction is what the tables say one resulting volume or snapshot gets,
// and what the caller intended it to get.
type Prediction struct {
	RuleID   string
	Outcome  Outcome
	Expected State
	// Alternatives are states accepted without KEY_MISMATCH where AWS's
	// documentation disagrees with itself.
	Alternatives []State
	// IntendedKeyARN is the key the caller meant the resource to have: K when
	// the request or its launch template names one, else SRC when the source is
	// encrypted, else empty.
	IntendedKeyARN string
	// IntendedUnknown is set when SRC is intended but the account cannot see
	// it (a shared AMI whose snapshot it cannot describe): some key of the
	// source's, never one of this account's default keys for the result.
	IntendedUnknown bool
	// PolicyOnly is set when the request named a key that CloudTrail hid:
	// the intended key is unknown, so the result is judged against the
	// policy only (UNENCRYPTED, DISALLOWED_KEY).
	PolicyOnly bool
}

// UnknownKeyError is returned when a row's outcome names a key (SRC, DEF, K
// or the AWS managed key) that the lookup could not resolve.
type UnknownKeyError struct {
	RuleID string
	Key    KeyRole
}

func (e *UnknownKeyError) Error() string {
	return fmt.Sprintf("rules: %s predicts %s, which is unknown", e.RuleID, e.Key)
}

// Predict applies the decision table to one resulting volume or snapshot of a
// call that succeeded (its CloudTrail record has no errorCode). For a row whose
// outcome is that the call fails it returns the prediction with
// ErrRequestRejected. It fails when the outcome needs a key that keys lacks.
func Predict(in Input, k Keys) (Prediction, error) {
	d, err := Decide(succeeded(in))
	if err != nil {
		return Prediction{}, err
	}
	p := Prediction{RuleID: d.RuleID, Outcome: d.Outcome, IntendedKeyARN: intended(in, k), PolicyOnly: in.KeyGiven && in.KeyHidden}
	p.IntendedUnknown = p.IntendedKeyARN == "" && !in.KeyGiven && in.Source == EncryptedSource && !in.SourceKeyUnknown && in.Original != EncryptedSource
	if d.Outcome == CallFails {
		return p, fmt.Errorf("%s: %w", d.RuleID, ErrRequestRejected)
	}
	if d.Outcome == NoNewResult {
		return p, fmt.Errorf("%s: %w", d.RuleID, ErrNoNewResult)
	}
	// A key the record hides (K) or the account cannot know (SRC of an
	// ImportImage snapshot it cannot describe) is predicted as an unknown
	// key: encrypted, kmsKeyArn empty.
	role := outcomeRole(d.Outcome)
	unknownAllowed := (role == RequestKeyRole && p.PolicyOnly) || (role == SourceKeyRole && in.SourceKeyUnknown)
	if role != 0 && k.ARN(role) == "" && !unknownAllowed {
		return p, &UnknownKeyError{RuleID: d.RuleID, Key: role}
	}
	p.Expected = expectedState(d, k)
	p.Alternatives = alternatives(d, in, k)
	return p, nil
}

// succeeded reads the input of a call EC2 accepted: Encrypted=false on an
// encrypted source is read as absent, since an encrypted source never yields
// an unencrypted result. Every table's note says so; for CopyImage it matters
// (copy/encrypted/decrypt says "the call fails", but no AWS page says the call
// is rejected, and Data Lifecycle Manager documents that such copies stay
// encrypted), the other tables' rows take either flag already.
func succeeded(in Input) Input {
	if k, _ := KindOf(in.Op); k.DecryptFails {
		return in // the call's own page says it fails: no reading as absent
	}
	if in.Source == EncryptedSource && in.Encrypted == False && !in.KeyGiven {
		in.Encrypted = Omitted
	}
	return in
}

func expectedState(d Decision, k Keys) State {
	if role := outcomeRole(d.Outcome); role != 0 {
		return EncryptedWith(k.ARN(role))
	}
	return State{}
}

// intended implements spec/rules.md "The intended key", the same for every
// kind: K, else SRC when the source is encrypted. For a kind whose owned
// cross-Region copies intend SRC's multi-Region replica (CopyImage), the
// intended key is that replica when one exists in the destination.
//
// Associated KMS keys (spec/rules.md): when SRC is another account's key the
// caller cannot describe and the source has exactly one associated key, the
// lookup sets AssociatedIntended, and that key is intended instead of SRC.
func intended(in Input, k Keys) string {
	switch {
	case in.KeyGiven && in.KeyHidden:
		return ""
	case in.KeyGiven:
		return k.Request
	case in.Original == EncryptedSource:
		// A root replacement keeps an encrypted original root's key.
		return k.Original
	case in.Source != EncryptedSource || in.SourceKeyUnknown:
		return ""
	case ReplicaIntended(in) && k.SourceReplica != "":
		return k.SourceReplica
	case k.AssociatedIntended != "":
		return k.AssociatedIntended
	default:
		return k.Source
	}
}

// ReplicaIntended reports whether the intended key of an input may be SRC's
// multi-Region replica in the destination: an owned source copied to another
// Region by a kind that says so.
func ReplicaIntended(in Input) bool {
	k, _ := KindOf(in.Op)
	return k.ReplicaIntended && in.Owned && !in.SameRegion
}
