package rules_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

const (
	assocA = "arn:aws:kms:us-east-1:111111111111:key/assoc-a"
	assocB = "arn:aws:kms:us-east-1:111111111111:key/assoc-b"
)

// A key CloudTrail hid (HIDDEN_DUE_TO_SECURITY_REASONS) in a request: the
// kind's row with K, K unknown, judged against the policy only.
func TestHiddenRequestKey(t *testing.T) {
	noK := rules.Keys{Source: src, Default: def, AWSManaged: awsm}
	tests := []struct {
		in     rules.Input
		id     string
		actual rules.State
		pol    rules.Policy
		want   []string
	}{
		{rules.Input{Op: rules.CreateVolume, Source: rules.EmptySource, Encrypted: rules.True, KeyGiven: true, KeyHidden: true},
			rules.VolumeKey, rules.EncryptedWith(def), rules.Policy{RequireEncryption: true}, nil},
		{rules.Input{Op: rules.RunInstances, Source: rules.EncryptedSource, Encrypted: rules.True, KeyGiven: true, KeyHidden: true},
			rules.LaunchKey, rules.EncryptedWith(awsm), rules.Policy{RequireEncryption: true}, nil},
		{rules.Input{Op: rules.CopySnapshot, Source: rules.EncryptedSource, SameRegion: true, Encrypted: rules.True, KeyGiven: true, KeyHidden: true},
			rules.SnapcopyKey, rules.EncryptedWith(def), rules.Policy{RequireEncryption: true, LimitKeys: true, AllowedKeys: []string{req}}, []string{rules.DisallowedKey}},
		{rules.Input{Op: rules.CopyImage, Source: rules.UnencryptedSource, SameRegion: true, Encrypted: rules.True, KeyGiven: true, KeyHidden: true},
			rules.CopyKey, rules.State{}, rules.Policy{RequireEncryption: true}, []string{rules.UnencryptedCode}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			p, err := rules.Predict(tt.in, noK)
			if err != nil {
				t.Fatalf("Predict: %v", err)
			}
			if p.RuleID != tt.id || p.Expected != rules.EncryptedWith("") || p.IntendedKeyARN != "" || p.IntendedUnknown || !p.PolicyOnly {
				t.Errorf("Predict = %+v; want rule %s, expected encrypted with an unknown key, no intended key, policy only", p, tt.id)
			}
			var got []string
			for _, f := range rules.Judge(p, tt.actual, noK, tt.pol) {
				got = append(got, f.Code)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Judge = %v; want %v", got, tt.want)
			}
		})
	}
}

// The source's associated keys: accepted as alternatives by the shared rows
// and snapcopy/encrypted/*, never by the owned rows; the one associated key
// is intended when the lookup says SRC cannot be described.
func TestAssociatedKeys(t *testing.T) {
	k := keys
	k.Associated = []string{assocA, assocB}
	tests := []struct {
		in       rules.Input
		id       string
		accepted bool
	}{
		{rules.Input{Op: rules.RunInstances, Source: rules.EncryptedSource}, rules.LaunchEncryptedShared, true},
		{rules.Input{Op: rules.CopyImage, Source: rules.EncryptedSource, SameRegion: true}, rules.CopyEncryptedShared, true},
		{rules.Input{Op: rules.CreateVolume, Source: rules.EncryptedSource}, rules.VolumeEncryptedShared, true},
		{rules.Input{Op: rules.CopySnapshot, Source: rules.EncryptedSource, SameRegion: true}, rules.SnapcopyEncryptedPlain, true},
		{rules.Input{Op: rules.CopySnapshot, Source: rules.EncryptedSource, EBD: true}, rules.SnapcopyEncryptedEBD, true},
		{rules.Input{Op: rules.CreateVolume, Source: rules.EncryptedSource, Owned: true}, rules.VolumeEncryptedOwned, false},
		{rules.Input{Op: rules.CopyImage, Source: rules.EncryptedSource, Owned: true, SameRegion: true}, rules.CopyEncryptedOwned, false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			p, err := rules.Predict(tt.in, k)
			if err != nil || p.RuleID != tt.id {
				t.Fatalf("Predict = %+v, %v; want rule %s", p, err, tt.id)
			}
			for _, a := range []string{assocA, assocB} {
				if got := slices.Contains(p.Alternatives, rules.EncryptedWith(a)); got != tt.accepted {
					t.Errorf("associated key %s accepted = %v; want %v", a, got, tt.accepted)
				}
			}
			if p.IntendedKeyARN != src {
				t.Errorf("intended %q; want SRC: several associated keys, none intended", p.IntendedKeyARN)
			}
			findings := rules.Judge(p, rules.EncryptedWith(assocA), k, rules.Policy{RequireEncryption: true})
			if hasCode(findings, rules.KeyMismatch) == tt.accepted {
				t.Errorf("a result on an associated key: findings %+v", findings)
			}
		})
	}

	t.Run("intended exception", func(t *testing.T) {
		k := keys
		k.Associated, k.AssociatedIntended = []string{assocA}, assocA
		p, err := rules.Predict(rules.Input{Op: rules.CreateVolume, Source: rules.EncryptedSource}, k)
		if err != nil {
			t.Fatal(err)
		}
		if p.IntendedKeyARN != assocA {
			t.Errorf("intended %q; want the one associated key", p.IntendedKeyARN)
		}
		f := rules.Judge(p, rules.EncryptedWith(def), k, rules.Policy{RequireEncryption: true})
		if !hasCode(f, rules.DefaultKeyFallback) || hasCode(f, rules.KeyMismatch) {
			t.Errorf("a result on DEF: findings %+v; want DEFAULT_KEY_FALLBACK only", f)
		}
		if f := rules.Judge(p, rules.EncryptedWith(assocA), k, rules.Policy{RequireEncryption: true}); len(f) != 0 {
			t.Errorf("a result on the associated key: findings %+v; want none", f)
		}
		// A key given in the request stays intended.
		p, _ = rules.Predict(rules.Input{Op: rules.CreateVolume, Source: rules.EncryptedSource, Encrypted: rules.True, KeyGiven: true}, k)
		if p.IntendedKeyARN != req {
			t.Errorf("with K, intended %q; want K", p.IntendedKeyARN)
		}
	})
	t.Run("no associated keys, alternatives unchanged", func(t *testing.T) {
		p, _ := rules.Predict(rules.Input{Op: rules.CreateVolume, Source: rules.EncryptedSource}, keys)
		if !reflect.DeepEqual(p.Alternatives, []rules.State{rules.EncryptedWith(awsm)}) {
			t.Errorf("alternatives %+v", p.Alternatives)
		}
	})
}

func hasCode(fs []rules.Finding, code string) bool {
	return slices.ContainsFunc(fs, func(f rules.Finding) bool { return f.Code == code })
}

// CopyVolumes with the source's owner unknown: SRC predicted, DEF and aws/ebs
// accepted, SRC intended; K on an unencrypted source with Encrypted=true is
// volcopy/key, without it volcopy/unencrypted/key-only.
func TestCopyVolumesSpecialInputs(t *testing.T) {
	p, err := rules.Predict(rules.Input{Op: rules.CopyVolumes, Source: rules.EncryptedSource, Owned: true, OwnerUnknown: true}, keys)
	if err != nil || p.RuleID != rules.VolcopyEncryptedOwned || p.Expected != rules.EncryptedWith(src) || p.IntendedKeyARN != src ||
		!reflect.DeepEqual(p.Alternatives, []rules.State{rules.EncryptedWith(def), rules.EncryptedWith(awsm)}) {
		t.Errorf("owner unknown: %+v, %v", p, err)
	}
	if f := rules.Judge(p, rules.EncryptedWith(def), keys, rules.Policy{RequireEncryption: true}); hasCode(f, rules.KeyMismatch) || !hasCode(f, rules.DefaultKeyFallback) {
		t.Errorf("owner unknown, copy on DEF: %+v; want DEFAULT_KEY_FALLBACK only", f)
	}
	for _, tt := range []struct {
		enc  rules.Flag
		want string
	}{{rules.True, rules.VolcopyKey}, {rules.Omitted, rules.VolcopyUnencryptedKeyOnly}, {rules.False, rules.VolcopyUnencryptedKeyOnly}} {
		p, err := rules.Predict(rules.Input{Op: rules.CopyVolumes, Source: rules.UnencryptedSource, Encrypted: tt.enc, KeyGiven: true}, keys)
		if err != nil || p.RuleID != tt.want || p.Expected != rules.EncryptedWith(req) || p.IntendedKeyARN != req {
			t.Errorf("unencrypted source, Encrypted %s, K: %+v, %v; want %s predicting and intending K", tt.enc, p, err, tt.want)
		}
	}
}

// ImportImage from an EBS snapshot the account cannot describe: the row is
// imageimport/encrypted-snapshot with SRC unknown, DEF and aws/ebs accepted,
// no intended key (so no DEFAULT_KEY_FALLBACK).
func TestImportImageSourceKeyUnknown(t *testing.T) {
	k := rules.Keys{Default: def, AWSManaged: awsm}
	p, err := rules.Predict(rules.Input{Op: rules.ImportImage, Source: rules.EncryptedSource, SourceKeyUnknown: true}, k)
	if err != nil || p.RuleID != rules.ImageimportEncryptedSnapshot || p.Expected != rules.EncryptedWith("") || p.IntendedKeyARN != "" || p.IntendedUnknown ||
		!reflect.DeepEqual(p.Alternatives, []rules.State{rules.EncryptedWith(def), rules.EncryptedWith(awsm)}) {
		t.Fatalf("Predict = %+v, %v", p, err)
	}
	if f := rules.Judge(p, rules.EncryptedWith(awsm), k, rules.Policy{RequireEncryption: true}); len(f) != 0 {
		t.Errorf("on aws/ebs: %+v; want nothing", f)
	}
	if f := rules.Judge(p, rules.EncryptedWith(req), k, rules.Policy{RequireEncryption: true}); !hasCode(f, rules.KeyMismatch) {
		t.Errorf("on another key: %+v; want KEY_MISMATCH", f)
	}
}

// Over every input of every kind: a hidden K keeps the row a K row, predicts
// an unknown key, intends none, and the judgement is the policy's alone,
// whatever the result; associated keys never change the row or the expected
// state, and only widen the alternatives.
func TestEvidenceInvariants(t *testing.T) {
	actuals := []rules.State{{}, rules.EncryptedWith(src), rules.EncryptedWith(def), rules.EncryptedWith(awsm), rules.EncryptedWith(req), rules.EncryptedWith(assocA)}
	pol := rules.Policy{RequireEncryption: true, LimitKeys: true, AllowedKeys: []string{req}}
	withAssoc := keys
	withAssoc.Associated = []string{assocA}
	for _, k := range rules.Kinds() {
		for _, in := range k.Inputs() {
			plain, errPlain := rules.Predict(in, keys)
			assoc, errAssoc := rules.Predict(in, withAssoc)
			if (errPlain == nil) != (errAssoc == nil) || plain.RuleID != assoc.RuleID || plain.Expected != assoc.Expected || plain.IntendedKeyARN != assoc.IntendedKeyARN {
				t.Errorf("%s %+v: associated keys changed the prediction: %+v / %+v", k.EventName, in, plain, assoc)
			}
			for _, a := range plain.Alternatives {
				if !slices.Contains(assoc.Alternatives, a) {
					t.Errorf("%s %+v: associated keys dropped the alternative %+v", k.EventName, in, a)
				}
			}
			if !in.KeyGiven {
				continue
			}
			in.KeyHidden = true
			p, err := rules.Predict(in, rules.Keys{Source: src, Default: def, AWSManaged: awsm, Original: orig})
			if errors.Is(err, rules.ErrRequestRejected) || errors.Is(err, rules.ErrNoNewResult) {
				continue // the K row without Encrypted: EC2 rejects the call; or no new result
			}
			if err != nil || !p.PolicyOnly || p.IntendedKeyARN != "" || p.RuleID != plain.RuleID {
				t.Errorf("%s %+v: hidden K: %+v, %v; want the same row %s, policy only, nothing intended", k.EventName, in, p, err, plain.RuleID)
				continue
			}
			for _, a := range actuals {
				for _, f := range rules.Judge(p, a, keys, pol) {
					if f.Code == rules.KeyMismatch || f.Code == rules.DefaultKeyFallback {
						t.Errorf("%s %+v: hidden K, actual %+v: %s", k.EventName, in, a, f.Code)
					}
				}
			}
		}
	}
}
