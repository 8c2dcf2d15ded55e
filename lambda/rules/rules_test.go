package rules_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

const (
	src  = "arn:aws:kms:us-east-1:111111111111:key/src"
	def  = "arn:aws:kms:us-east-1:222222222222:key/def"
	awsm = "arn:aws:kms:us-east-1:222222222222:key/aws-ebs"
	req  = "arn:aws:kms:us-east-1:222222222222:key/request"
	orig = "arn:aws:kms:us-east-1:222222222222:key/original-root"
)

var keys = rules.Keys{Source: src, Default: def, AWSManaged: awsm, Request: req, Original: orig}

// One case per documented row, named by its rule ID, in the spec's order.
func TestPredictRows(t *testing.T) {
	unenc := rules.State{}
	tests := []struct {
		id       string
		in       rules.Input
		want     rules.State
		alt      []rules.State
		intended string
		fails    bool
	}{
		// RunInstances
		{rules.LaunchEmptyPlain, rules.Input{Op: rules.RunInstances, Source: rules.EmptySource, Encrypted: rules.False}, unenc, nil, "", false},
		{rules.LaunchEmptyEBD, rules.Input{Op: rules.RunInstances, Source: rules.EmptySource, EBD: true}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.LaunchEmptyEncrypt, rules.Input{Op: rules.RunInstances, Source: rules.EmptySource, Encrypted: rules.True}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.LaunchUnencryptedPlain, rules.Input{Op: rules.RunInstances, Source: rules.UnencryptedSource, Owned: true}, unenc, nil, "", false},
		{rules.LaunchUnencryptedEBD, rules.Input{Op: rules.RunInstances, Source: rules.UnencryptedSource, Encrypted: rules.False, EBD: true}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.LaunchUnencryptedEncrypt, rules.Input{Op: rules.RunInstances, Source: rules.UnencryptedSource, Encrypted: rules.True}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.LaunchEncryptedOwned, rules.Input{Op: rules.RunInstances, Source: rules.EncryptedSource, Owned: true}, rules.EncryptedWith(src), nil, src, false},
		{rules.LaunchEncryptedShared, rules.Input{Op: rules.RunInstances, Source: rules.EncryptedSource, Encrypted: rules.True}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, src, false},
		{rules.LaunchKey, rules.Input{Op: rules.RunInstances, Source: rules.EncryptedSource, Encrypted: rules.True, KeyGiven: true}, rules.EncryptedWith(req), nil, req, false},
		{rules.LaunchKeyWithoutEncrypted, rules.Input{Op: rules.RunInstances, Source: rules.EmptySource, KeyGiven: true}, unenc, nil, req, true},
		// CopyImage
		{rules.CopyUnencryptedPlain, rules.Input{Op: rules.CopyImage, Source: rules.UnencryptedSource, SameRegion: true}, unenc, nil, "", false},
		{rules.CopyUnencryptedEBD, rules.Input{Op: rules.CopyImage, Source: rules.UnencryptedSource, EBD: true}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.CopyUnencryptedEncrypt, rules.Input{Op: rules.CopyImage, Source: rules.UnencryptedSource, Encrypted: rules.True}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.CopyEncryptedOwned, rules.Input{Op: rules.CopyImage, Source: rules.EncryptedSource, Owned: true, SameRegion: true}, rules.EncryptedWith(src), []rules.State{rules.EncryptedWith(def), rules.EncryptedWith(awsm)}, src, false},
		{rules.CopyEncryptedOwnedCrossRegion, rules.Input{Op: rules.CopyImage, Source: rules.EncryptedSource, Owned: true, Encrypted: rules.True}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, src, false},
		{rules.CopyEncryptedShared, rules.Input{Op: rules.CopyImage, Source: rules.EncryptedSource, SameRegion: true}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, src, false},
		{rules.CopyOutpost, rules.Input{Op: rules.CopyImage, Source: rules.UnencryptedSource, Destination: rules.ToOutpost, Encrypted: rules.False}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.CopyKey, rules.Input{Op: rules.CopyImage, Source: rules.UnencryptedSource, Destination: rules.ToOutpost, Encrypted: rules.True, KeyGiven: true}, rules.EncryptedWith(req), nil, req, false},
		{rules.CopyKeyWithoutEncrypted, rules.Input{Op: rules.CopyImage, Source: rules.EncryptedSource, Encrypted: rules.False, KeyGiven: true}, unenc, nil, req, true},
		// StartSnapshot (EBS direct APIs): the source is the parent snapshot.
		{rules.DirectsnapNewPlain, rules.Input{Op: rules.StartSnapshot, Source: rules.EmptySource, Encrypted: rules.False}, unenc, nil, "", false},
		{rules.DirectsnapNewEBD, rules.Input{Op: rules.StartSnapshot, Source: rules.EmptySource, EBD: true}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.DirectsnapNewFalseEBD, rules.Input{Op: rules.StartSnapshot, Source: rules.EmptySource, Encrypted: rules.False, EBD: true}, unenc, nil, "", true},
		{rules.DirectsnapNewEncrypt, rules.Input{Op: rules.StartSnapshot, Source: rules.EmptySource, Encrypted: rules.True}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.DirectsnapNewKey, rules.Input{Op: rules.StartSnapshot, Source: rules.EmptySource, KeyGiven: true}, rules.EncryptedWith(req), nil, req, false},
		{rules.DirectsnapNewFalseKey, rules.Input{Op: rules.StartSnapshot, Source: rules.EmptySource, Encrypted: rules.False, KeyGiven: true}, unenc, nil, req, true},
		{rules.DirectsnapParentPlainPlain, rules.Input{Op: rules.StartSnapshot, Source: rules.UnencryptedSource}, unenc, nil, "", false},
		{rules.DirectsnapParentPlainOther, rules.Input{Op: rules.StartSnapshot, Source: rules.UnencryptedSource, EBD: true}, unenc, nil, "", true},
		{rules.DirectsnapParentEncInherit, rules.Input{Op: rules.StartSnapshot, Source: rules.EncryptedSource, EBD: true}, rules.EncryptedWith(src), nil, src, false},
		{rules.DirectsnapParentEncOther, rules.Input{Op: rules.StartSnapshot, Source: rules.EncryptedSource, Encrypted: rules.True}, unenc, nil, src, true},
		// CreateReplaceRootVolumeTask: the source is the snapshot or the AMI's root snapshot.
		{rules.RootreplaceLaunchEncrypted, rules.Input{Op: rules.CreateReplaceRootVolumeTask, Restore: rules.FromLaunchState, Original: rules.EncryptedSource}, rules.EncryptedWith(orig), nil, orig, false},
		{rules.RootreplaceLaunchPlain, rules.Input{Op: rules.CreateReplaceRootVolumeTask, Restore: rules.FromLaunchState, Original: rules.UnencryptedSource}, unenc, nil, "", false},
		{rules.RootreplaceLaunchEBD, rules.Input{Op: rules.CreateReplaceRootVolumeTask, Restore: rules.FromLaunchState, Original: rules.UnencryptedSource, EBD: true}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.RootreplaceSourceKeepOrig, rules.Input{Op: rules.CreateReplaceRootVolumeTask, Restore: rules.FromSource, Original: rules.EncryptedSource, Source: rules.EncryptedSource}, rules.EncryptedWith(orig), nil, orig, false},
		{rules.RootreplaceSourcePlain, rules.Input{Op: rules.CreateReplaceRootVolumeTask, Restore: rules.FromSource, Original: rules.UnencryptedSource, Source: rules.UnencryptedSource}, unenc, nil, "", false},
		{rules.RootreplaceSourceEBD, rules.Input{Op: rules.CreateReplaceRootVolumeTask, Restore: rules.FromSource, Original: rules.UnencryptedSource, Source: rules.UnencryptedSource, EBD: true}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.RootreplaceSourceEncOwned, rules.Input{Op: rules.CreateReplaceRootVolumeTask, Restore: rules.FromSource, Original: rules.UnencryptedSource, Source: rules.EncryptedSource, Owned: true}, rules.EncryptedWith(src), nil, src, false},
		{rules.RootreplaceSourceEncShared, rules.Input{Op: rules.CreateReplaceRootVolumeTask, Restore: rules.FromSource, Original: rules.UnencryptedSource, Source: rules.EncryptedSource, EBD: true}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, src, false},
		// CreateVolume
		{rules.VolumeEmptyPlain, rules.Input{Op: rules.CreateVolume, Source: rules.EmptySource}, unenc, nil, "", false},
		{rules.VolumeEmptyEBD, rules.Input{Op: rules.CreateVolume, Source: rules.EmptySource, Encrypted: rules.False, EBD: true}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.VolumeEmptyEncrypt, rules.Input{Op: rules.CreateVolume, Source: rules.EmptySource, Encrypted: rules.True}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.VolumeUnencryptedPlain, rules.Input{Op: rules.CreateVolume, Source: rules.UnencryptedSource, Owned: true, Encrypted: rules.False}, unenc, nil, "", false},
		{rules.VolumeUnencryptedEBD, rules.Input{Op: rules.CreateVolume, Source: rules.UnencryptedSource, EBD: true}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.VolumeUnencryptedEncrypt, rules.Input{Op: rules.CreateVolume, Source: rules.UnencryptedSource, Encrypted: rules.True}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.VolumeEncryptedOwned, rules.Input{Op: rules.CreateVolume, Source: rules.EncryptedSource, Owned: true, Encrypted: rules.False}, rules.EncryptedWith(src), nil, src, false},
		{rules.VolumeEncryptedShared, rules.Input{Op: rules.CreateVolume, Source: rules.EncryptedSource, EBD: true}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, src, false},
		{rules.VolumeKey, rules.Input{Op: rules.CreateVolume, Source: rules.EmptySource, Encrypted: rules.True, KeyGiven: true}, rules.EncryptedWith(req), nil, req, false},
		{rules.VolumeKeyWithoutEncrypted, rules.Input{Op: rules.CreateVolume, Source: rules.EncryptedSource, KeyGiven: true}, unenc, nil, req, true},
		// CopySnapshot
		{rules.SnapcopyUnencryptedPlain, rules.Input{Op: rules.CopySnapshot, Source: rules.UnencryptedSource, SameRegion: true}, unenc, nil, "", false},
		{rules.SnapcopyUnencryptedEBD, rules.Input{Op: rules.CopySnapshot, Source: rules.UnencryptedSource, Encrypted: rules.False, EBD: true}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.SnapcopyUnencryptedEncrypt, rules.Input{Op: rules.CopySnapshot, Source: rules.UnencryptedSource, Encrypted: rules.True}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		// Same Region: SRC is an alternative; across Regions it is not.
		{rules.SnapcopyEncryptedPlain, rules.Input{Op: rules.CopySnapshot, Source: rules.EncryptedSource, SameRegion: true}, rules.EncryptedWith(awsm), []rules.State{rules.EncryptedWith(src), rules.EncryptedWith(def)}, src, false},
		{rules.SnapcopyEncryptedEBD, rules.Input{Op: rules.CopySnapshot, Source: rules.EncryptedSource, Encrypted: rules.False, EBD: true}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, src, false},
		{rules.SnapcopyOutpost, rules.Input{Op: rules.CopySnapshot, Source: rules.EncryptedSource, Destination: rules.ToOutpost, Encrypted: rules.False}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, src, false},
		{rules.SnapcopyKey, rules.Input{Op: rules.CopySnapshot, Source: rules.EncryptedSource, Encrypted: rules.True, KeyGiven: true}, rules.EncryptedWith(req), nil, req, false},
		{rules.SnapcopyKeyWithoutEncrypted, rules.Input{Op: rules.CopySnapshot, Source: rules.UnencryptedSource, Encrypted: rules.False, KeyGiven: true}, unenc, nil, req, true},
		// CopyVolumes
		{rules.VolcopyUnencryptedPlain, rules.Input{Op: rules.CopyVolumes, Source: rules.UnencryptedSource, Encrypted: rules.False}, unenc, nil, "", false},
		{rules.VolcopyUnencryptedEBD, rules.Input{Op: rules.CopyVolumes, Source: rules.UnencryptedSource, Encrypted: rules.False, EBD: true}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.VolcopyUnencryptedEncrypt, rules.Input{Op: rules.CopyVolumes, Source: rules.UnencryptedSource, Encrypted: rules.True}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.VolcopyEncryptedOwned, rules.Input{Op: rules.CopyVolumes, Source: rules.EncryptedSource, Owned: true, Encrypted: rules.False}, rules.EncryptedWith(src), nil, src, false},
		{rules.VolcopyEncryptedShared, rules.Input{Op: rules.CopyVolumes, Source: rules.EncryptedSource}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, src, false},
		// K with Encrypted absent on an encrypted source: the guide's re-encryption example.
		{rules.VolcopyKey, rules.Input{Op: rules.CopyVolumes, Source: rules.EncryptedSource, KeyGiven: true}, rules.EncryptedWith(req), nil, req, false},
		{rules.VolcopyUnencryptedKeyOnly, rules.Input{Op: rules.CopyVolumes, Source: rules.UnencryptedSource, KeyGiven: true, EBD: true}, rules.EncryptedWith(req), nil, req, false},
		// ImportSnapshot: a disk image, no SRC.
		{rules.SnapimportPlain, rules.Input{Op: rules.ImportSnapshot, Source: rules.EmptySource, Encrypted: rules.False}, unenc, nil, "", false},
		{rules.SnapimportEBD, rules.Input{Op: rules.ImportSnapshot, Source: rules.EmptySource, EBD: true}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.SnapimportEncrypt, rules.Input{Op: rules.ImportSnapshot, Source: rules.EmptySource, Encrypted: rules.True}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.SnapimportKey, rules.Input{Op: rules.ImportSnapshot, Source: rules.EmptySource, Encrypted: rules.True, KeyGiven: true}, rules.EncryptedWith(req), nil, req, false},
		// Reported by the task: a record without errorCode is judged against K, never rejected.
		{rules.SnapimportKeyWithoutEncrypted, rules.Input{Op: rules.ImportSnapshot, Source: rules.EmptySource, KeyGiven: true, EBD: true}, rules.EncryptedWith(req), nil, req, false},
		// ImportImage: a disk image or an EBS snapshot per container.
		{rules.ImageimportPlain, rules.Input{Op: rules.ImportImage, Source: rules.UnencryptedSource}, unenc, nil, "", false},
		{rules.ImageimportEBD, rules.Input{Op: rules.ImportImage, Source: rules.EmptySource, Encrypted: rules.False, EBD: true}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.ImageimportEncrypt, rules.Input{Op: rules.ImportImage, Source: rules.EmptySource, Encrypted: rules.True}, rules.EncryptedWith(def), []rules.State{rules.EncryptedWith(awsm)}, "", false},
		{rules.ImageimportEncryptedSnapshot, rules.Input{Op: rules.ImportImage, Source: rules.EncryptedSource, Encrypted: rules.True}, rules.EncryptedWith(src), []rules.State{rules.EncryptedWith(def), rules.EncryptedWith(awsm)}, src, false},
		{rules.ImageimportKey, rules.Input{Op: rules.ImportImage, Source: rules.EncryptedSource, Encrypted: rules.True, KeyGiven: true}, rules.EncryptedWith(req), nil, req, false},
		{rules.ImageimportKeyWithoutEncrypted, rules.Input{Op: rules.ImportImage, Source: rules.EmptySource, KeyGiven: true}, rules.EncryptedWith(req), nil, req, false},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			seen[tt.id] = true
			got, err := rules.Predict(tt.in, keys)
			if tt.fails != errors.Is(err, rules.ErrRequestRejected) {
				t.Fatalf("Predict(%+v) error = %v; want rejected = %v", tt.in, err, tt.fails)
			}
			if !tt.fails && err != nil {
				t.Fatalf("Predict(%+v) error = %v", tt.in, err)
			}
			if got.RuleID != tt.id {
				t.Errorf("Predict(%+v).RuleID = %q; want %q", tt.in, got.RuleID, tt.id)
			}
			if got.Expected != tt.want {
				t.Errorf("Predict(%+v).Expected = %+v; want %+v", tt.in, got.Expected, tt.want)
			}
			if !reflect.DeepEqual(got.Alternatives, tt.alt) {
				t.Errorf("Predict(%+v).Alternatives = %+v; want %+v", tt.in, got.Alternatives, tt.alt)
			}
			if got.IntendedKeyARN != tt.intended {
				t.Errorf("Predict(%+v).IntendedKeyARN = %q; want %q", tt.in, got.IntendedKeyARN, tt.intended)
			}
		})
	}
	// copy/encrypted/decrypt is reached only by Decide: TestCopyDecryptSucceeded.
	seen[rules.CopyEncryptedDecrypt] = true
	// rootreplace/volume creates nothing to predict.
	in := rules.Input{Op: rules.CreateReplaceRootVolumeTask, Restore: rules.FromVolume, Original: rules.EncryptedSource}
	if p, err := rules.Predict(in, keys); p.RuleID != rules.RootreplaceVolume || !errors.Is(err, rules.ErrNoNewResult) {
		t.Errorf("Predict(%+v) = %s, %v; want %s, ErrNoNewResult", in, p.RuleID, err, rules.RootreplaceVolume)
	}
	seen[rules.RootreplaceVolume] = true
	for _, k := range rules.Kinds() {
		for _, id := range k.RuleIDs() {
			if !seen[id] {
				t.Errorf("rule %s has no test case", id)
			}
		}
	}
}

// A copy of an encrypted source with Encrypted=false matches
// copy/encrypted/decrypt, yet a successful one is predicted as if Encrypted
// were absent (spec/rules.md, the note below the CopyImage table).
func TestCopyDecryptSucceeded(t *testing.T) {
	for _, tt := range []struct {
		owned, same bool
		want        string
	}{
		{true, true, rules.CopyEncryptedOwned},
		{true, false, rules.CopyEncryptedOwnedCrossRegion},
		{false, true, rules.CopyEncryptedShared},
		{false, false, rules.CopyEncryptedShared},
	} {
		in := rules.Input{Op: rules.CopyImage, Source: rules.EncryptedSource, Owned: tt.owned, SameRegion: tt.same, Encrypted: rules.False}
		if d, err := rules.Decide(in); err != nil || d.RuleID != rules.CopyEncryptedDecrypt || d.Outcome != rules.CallFails {
			t.Errorf("Decide(%+v) = %+v, %v; want %s, the call fails", in, d, err, rules.CopyEncryptedDecrypt)
		}
		p, err := rules.Predict(in, keys)
		if err != nil || p.RuleID != tt.want {
			t.Errorf("Predict(%+v) = %s, %v; want %s", in, p.RuleID, err, tt.want)
		}
		absent := in
		absent.Encrypted = rules.Omitted
		if q, _ := rules.Predict(absent, keys); !reflect.DeepEqual(p, q) {
			t.Errorf("Predict with Encrypted=false = %+v; with Encrypted absent = %+v", p, q)
		}
	}
}

// Every combination of each kind's inputs matches exactly one row of its
// table, and every row is reached by some combination.
func TestTableIsTotal(t *testing.T) {
	for _, k := range rules.Kinds() {
		t.Run(k.EventName, func(t *testing.T) {
			reached := map[string]bool{}
			inputs := k.Inputs()
			for _, in := range inputs {
				dec, err := rules.Decide(in)
				if err != nil {
					t.Errorf("Decide(%+v): %v", in, err)
					continue
				}
				reached[dec.RuleID] = true
			}
			for _, id := range k.RuleIDs() {
				if !reached[id] {
					t.Errorf("row %s is never reached", id)
				}
			}
			t.Logf("%d combinations, each matching one row", len(inputs))
		})
	}
}

// The registry is consistent: distinct operations, event names and rule IDs,
// each rule ID prefixed like its kind's others, and no operation outside it.
func TestKindsRegistry(t *testing.T) {
	ops, names, ids := map[rules.Op]bool{}, map[string]bool{}, map[string]bool{}
	for _, k := range rules.Kinds() {
		if ops[k.Op] || names[k.EventName] || k.Op == 0 {
			t.Errorf("kind %s: operation or event name registered twice", k.EventName)
		}
		ops[k.Op], names[k.EventName] = true, true
		if got, ok := rules.KindByEvent(k.EventName); !ok || got.Op != k.Op {
			t.Errorf("KindByEvent(%s) = %v, %v", k.EventName, got.Op, ok)
		}
		if k.Creates != "volume" && k.Creates != "snapshot" {
			t.Errorf("kind %s creates %q", k.EventName, k.Creates)
		}
		prefix := strings.SplitN(k.RuleIDs()[0], "/", 2)[0] + "/"
		for _, r := range k.Rows() {
			if ids[r.RuleID] || !strings.HasPrefix(r.RuleID, prefix) || r.When == "" {
				t.Errorf("kind %s: rule %q is a duplicate, lacks the prefix %s or its description", k.EventName, r.RuleID, prefix)
			}
			ids[r.RuleID] = true
		}
	}
	if _, err := rules.Decide(rules.Input{}); err == nil {
		t.Error("Decide with the zero Op found a table; an unknown kind must be an error")
	}
	if _, ok := rules.KindByEvent("DeleteVolume"); ok {
		t.Error("KindByEvent(DeleteVolume) found a kind")
	}
}

// An encrypted source never yields an unencrypted result: every table reads
// Encrypted=false there as absent.
func TestEncryptedFalseOnEncryptedSourceIsAbsent(t *testing.T) {
	for _, k := range rules.Kinds() {
		if k.Op == rules.StartSnapshot {
			continue // documented to fail instead: directsnap/parent-enc/other (TestStartSnapshotFalseOnEncryptedParentFails)
		}
		if !slices.Contains(k.Sources, rules.EncryptedSource) {
			continue // ImportSnapshot: a disk image, never an encrypted source
		}
		for _, owned := range []bool{true, false} {
			for _, ebd := range []bool{true, false} {
				in := rules.Input{Op: k.Op, Source: rules.EncryptedSource, Owned: owned, SameRegion: true, EBD: ebd}
				if len(k.Restores) > 0 {
					in.Restore, in.Original = rules.FromSource, rules.UnencryptedSource
				}
				a, errA := rules.Predict(in, keys)
				in.Encrypted = rules.False
				b, errB := rules.Predict(in, keys)
				if !reflect.DeepEqual(a, b) || errA != nil || errB != nil {
					t.Errorf("%s owned=%v ebd=%v: Encrypted=false gives %+v, %v; absent gives %+v, %v", k.EventName, owned, ebd, b, errB, a, errA)
				}
			}
		}
	}
}

func TestIntendedMultiRegionReplica(t *testing.T) {
	k := keys
	k.SourceReplica = "arn:aws:kms:eu-west-1:111111111111:key/mrk-1"
	in := rules.Input{Op: rules.CopyImage, Source: rules.EncryptedSource, Owned: true}
	got, err := rules.Predict(in, k)
	if err != nil {
		t.Fatal(err)
	}
	if got.IntendedKeyARN != k.SourceReplica {
		t.Errorf("IntendedKeyARN = %q; want the replica %q", got.IntendedKeyARN, k.SourceReplica)
	}
	in.SameRegion = true
	if got, _ := rules.Predict(in, k); got.IntendedKeyARN != src {
		t.Errorf("same Region: IntendedKeyARN = %q; want SRC", got.IntendedKeyARN)
	}
	in.SameRegion, in.Owned = false, false
	if got, _ := rules.Predict(in, k); got.IntendedKeyARN != src {
		t.Errorf("shared: IntendedKeyARN = %q; want SRC", got.IntendedKeyARN)
	}
}

func TestPredictSharedSourceNotVisible(t *testing.T) {
	k := keys
	k.Source = ""
	p, err := rules.Predict(rules.Input{Op: rules.RunInstances, Source: rules.EncryptedSource}, k)
	if err != nil || p.IntendedKeyARN != "" || !p.IntendedUnknown {
		t.Errorf("Predict = %+v, %v; want no intended ARN but IntendedUnknown", p, err)
	}
	p, _ = rules.Predict(rules.Input{Op: rules.RunInstances, Source: rules.EncryptedSource, Encrypted: rules.True, KeyGiven: true}, k)
	if p.IntendedUnknown {
		t.Error("IntendedUnknown with a requested key")
	}
}

func TestPredictUnknownKey(t *testing.T) {
	_, err := rules.Predict(rules.Input{Op: rules.RunInstances, Source: rules.EncryptedSource, Owned: true}, rules.Keys{Default: def})
	var unknown *rules.UnknownKeyError
	if !errors.As(err, &unknown) || unknown.Key != rules.SourceKeyRole {
		t.Errorf("Predict without SRC: error = %v; want an UnknownKeyError for SRC", err)
	}
}

func TestJudge(t *testing.T) {
	pol := rules.Policy{RequireEncryption: true}
	shared := rules.Prediction{RuleID: rules.LaunchEncryptedShared, Expected: rules.EncryptedWith(def), Alternatives: []rules.State{rules.EncryptedWith(awsm)}, IntendedKeyARN: src}
	invisible := rules.Prediction{RuleID: rules.LaunchEncryptedShared, Expected: rules.EncryptedWith(def), Alternatives: []rules.State{rules.EncryptedWith(awsm)}, IntendedUnknown: true}
	owned := rules.Prediction{RuleID: rules.CopyEncryptedOwned, Expected: rules.EncryptedWith(src), Alternatives: []rules.State{rules.EncryptedWith(def), rules.EncryptedWith(awsm)}, IntendedKeyARN: src}
	plain := rules.Prediction{RuleID: rules.CopyUnencryptedPlain}
	encrypt := rules.Prediction{RuleID: rules.CopyUnencryptedEncrypt, Expected: rules.EncryptedWith(def)}
	other := "arn:aws:kms:us-east-1:222222222222:key/other"
	tests := []struct {
		name   string
		p      rules.Prediction
		actual rules.State
		pol    rules.Policy
		want   []rules.Finding
	}{
		{"shared fallback onto DEF", shared, rules.EncryptedWith(def), pol, []rules.Finding{{rules.DefaultKeyFallback, rules.Medium}}},
		{"shared fallback onto aws/ebs is high", shared, rules.EncryptedWith(awsm), pol, []rules.Finding{{rules.DefaultKeyFallback, rules.High}}},
		{"shared source key not visible", invisible, rules.EncryptedWith(awsm), pol, []rules.Finding{{rules.DefaultKeyFallback, rules.High}}},
		{"owned copy keeps SRC", owned, rules.EncryptedWith(src), pol, nil},
		{"owned copy on alternative still falls back", owned, rules.EncryptedWith(awsm), pol, []rules.Finding{{rules.DefaultKeyFallback, rules.High}}},
		{"mismatch", owned, rules.EncryptedWith(other), pol, []rules.Finding{{rules.KeyMismatch, rules.High}}},
		{"unencrypted as predicted", plain, rules.State{}, pol, []rules.Finding{{rules.UnencryptedCode, rules.High}}},
		{"unencrypted allowed", plain, rules.State{}, rules.Policy{}, nil},
		{"unencrypted against prediction", encrypt, rules.State{}, rules.Policy{}, []rules.Finding{{rules.KeyMismatch, rules.High}}},
		{"no intended key, DEF allowed", encrypt, rules.EncryptedWith(def), rules.Policy{LimitKeys: true, AllowedKeys: []string{def}}, nil},
		{"no intended key, DEF not allowed", encrypt, rules.EncryptedWith(def), rules.Policy{LimitKeys: true, AllowedKeys: []string{other}}, []rules.Finding{{rules.DisallowedKey, rules.Medium}}},
		{"everything", plain, rules.EncryptedWith(other), rules.Policy{LimitKeys: true, AllowedKeys: []string{def}}, []rules.Finding{{rules.KeyMismatch, rules.High}, {rules.DisallowedKey, rules.Medium}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rules.Judge(tt.p, tt.actual, keys, tt.pol)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Judge(%s, %+v) = %+v; want %+v", tt.p.RuleID, tt.actual, got, tt.want)
			}
		})
	}
}

// The EBS direct APIs document that Encrypted=false on an encrypted parent
// fails: unlike the other tables, it is not read as absent.
func TestStartSnapshotFalseOnEncryptedParentFails(t *testing.T) {
	in := rules.Input{Op: rules.StartSnapshot, Source: rules.EncryptedSource, Encrypted: rules.False}
	if p, err := rules.Predict(in, keys); p.RuleID != rules.DirectsnapParentEncOther || !errors.Is(err, rules.ErrRequestRejected) {
		t.Errorf("Predict(%+v) = %s, %v; want %s, the call fails", in, p.RuleID, err, rules.DirectsnapParentEncOther)
	}
}
