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
//   - EC2 API reference, AssociateKmsKeyId and AssociatedKmsKey (2026): "An
//     associated key provides a second way to access the snapshot's data for
//     cross-account sharing and copying". A result of a shared source (or of
//     any snapshot copy) on one of the source's associated keys is accepted.
//     https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateKmsKeyId.html
//   - EBS guide, "Copy an Amazon EBS volume", encryption outcomes: when
//     CopyVolumes' source owner is unknown, SRC (owned) is predicted and the
//     shared row's DEF and aws/ebs are accepted.
//   - ImportImage from an encrypted EBS snapshot: undocumented; SRC is
//     predicted, DEF and aws/ebs accepted, the snapcopy/encrypted/* pattern.
func alternatives(d Decision, in Input, k Keys) []State {
	var out []State
	add := func(arn string) {
		s := EncryptedWith(arn)
		if s.KMSKeyARN == "" || s == expectedState(d, k) || slices.Contains(out, s) {
			return
		}
		out = append(out, s)
	}
	for _, role := range alternativeRoles(d, in) {
		add(k.ARN(role))
	}
	if associatedAccepted(d.RuleID) {
		for _, arn := range k.Associated {
			add(arn)
		}
	}
	return out
}

// associatedAccepted names the rows whose result may carry one of the
// source's associated keys without KEY_MISMATCH (spec/rules.md, "Associated
// KMS keys": the shared rows and snapcopy/encrypted/*).
func associatedAccepted(ruleID string) bool {
	switch ruleID {
	case LaunchEncryptedShared, CopyEncryptedShared, VolumeEncryptedShared, SnapcopyEncryptedPlain, SnapcopyEncryptedEBD:
		return true
	}
	return false
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
	case d.RuleID == VolcopyEncryptedOwned && in.OwnerUnknown:
		// Ownership unknown: the shared row's DEF, and aws/ebs, accepted too.
		return []KeyRole{DefaultKeyRole, AWSManagedKeyRole}
	case d.RuleID == ImageimportEncryptedSnapshot:
		// Undocumented: SRC predicted, DEF and aws/ebs accepted.
		return []KeyRole{DefaultKeyRole, AWSManagedKeyRole}
	case d.Outcome == DefaultKey:
		// EBS guide and the field report: the AWS managed key instead of DEF.
		return []KeyRole{AWSManagedKeyRole}
	}
	return nil
}
