package rules

import "slices"

// alternatives lists the states accepted without KEY_MISMATCH besides the
// predicted one, where AWS's documentation disagrees with itself
// (spec/rules.md, "Where AWS's documentation disagrees with itself"). Each
// judgement sits here, once, so that a test against a real account can settle
// it by changing one line.
//
// Sources:
//   - EC2 guide, AMI encryption page (the tables' source): an owned encrypted
//     snapshot copied without parameters keeps its key; a shared one gets DEF.
//     https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/AMIEncryption.html
//   - EBS guide, snapshot copy outcomes: a copy of an encrypted snapshot made
//     without a key gets the AWS managed key when encryption by default is off
//     and DEF when it is on, whoever owns it and whatever the Region.
//     https://docs.aws.amazon.com/ebs/latest/userguide/encryption-examples.html
//   - A field report saw the AWS managed key where the documentation promised a
//     customer managed DEF (EBD off, Encrypted=true, no key).
//   - EBS guide, re-encryption example: a copy of a shared snapshot is
//     encrypted "with a KMS key shared by the snapshot's owner"; the AMI page
//     says an owned copy keeps SRC.
//     https://docs.aws.amazon.com/ebs/latest/userguide/ebs-copy-snapshot.html
func alternatives(d Decision, in Input, k Keys) []State {
	var out []State
	for _, role := range alternativeRoles(d, in) {
		s := EncryptedWith(k.ARN(role))
		if s.KMSKeyARN == "" || s == expectedState(d, k) || slices.Contains(out, s) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// alternativeRoles names the keys of the alternatives, in order.
func alternativeRoles(d Decision, in Input) []KeyRole {
	switch {
	case d.RuleID == CopyEncryptedOwned:
		// EBS guide: DEF (EBD on) or the AWS managed key (EBD off) instead of SRC.
		return []KeyRole{DefaultKeyRole, AWSManagedKeyRole}
	case d.RuleID == SnapcopyEncryptedPlain || d.RuleID == SnapcopyEncryptedEBD:
		// The AMI page and the re-encryption example: SRC, where it can be used
		// (a KMS key belongs to one Region); the snapshot-copy section: aws/ebs
		// or DEF, by EBD.
		if in.SameRegion {
			return []KeyRole{SourceKeyRole, DefaultKeyRole, AWSManagedKeyRole}
		}
		return []KeyRole{DefaultKeyRole, AWSManagedKeyRole}
	case d.Outcome == DefaultKey:
		// EBS guide and the field report: the AWS managed key instead of DEF.
		return []KeyRole{AWSManagedKeyRole}
	}
	return nil
}
