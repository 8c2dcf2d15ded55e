package verify_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// A root replacement from a shared encrypted AMI onto an unencrypted root:
// the first look reads ORIG while the task is pending and carries it; the
// re-check after the swap judges the new root against the table with that
// ORIG and finds the fall-back onto the account's default key.
func TestRootReplaceCarriesOrig(t *testing.T) {
	dir := filepath.Join(samplesRoot, "rootreplace-source-enc-shared")
	w, err := world.Load(filepath.Join(dir, "world.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "event.json"))
	if err != nil {
		t.Fatal(err)
	}
	item := cloudtrail.DecodeAll(b)[0]
	eng := verify.New(verify.Config{Clients: w})
	first := eng.Evaluate(t.Context(), item)
	if first.Status != verify.StatusPending || first.Settings == nil || first.Settings.OrigEncrypted == nil || *first.Settings.OrigEncrypted {
		t.Fatalf("first look: %s, carries %+v; want pending with ORIG unencrypted", first.Status, first.Settings)
	}

	// The swap: the task succeeds, the instance's root is a new volume on aws/ebs.
	reg := w.Accounts["222222222222"]["us-east-1"]
	reg.ReplaceRootVolumeTasks[0].TaskState = ec2types.ReplaceRootVolumeTaskStateSucceeded
	reg.Instances[0].BlockDeviceMappings[0].Ebs.VolumeId = aws.String("vol-0c2100000000000n1")
	reg.Volumes = append(reg.Volumes, ec2types.Volume{VolumeId: aws.String("vol-0c2100000000000n1"), State: ec2types.VolumeStateInUse, Encrypted: aws.Bool(true),
		KmsKeyId:    aws.String("arn:aws:kms:us-east-1:222222222222:key/0b0e0000-0000-4000-8000-00000000ebs1"),
		Attachments: []ec2types.VolumeAttachment{{InstanceId: aws.String("i-0b2100000000000r1"), Device: aws.String("/dev/xvda")}}})

	v := eng.Recheck(t.Context(), item, verify.Check{Attempt: 1, Settings: first.Settings})
	if v.Status != verify.StatusViolation || len(v.Resources) != 1 {
		t.Fatalf("re-check: %s %+v; want a violation", v.Status, v.Resources)
	}
	r := v.Resources[0]
	if r.Rule != rules.RootreplaceSourceEncShared || !slices.Contains(r.Findings, rules.DefaultKeyFallback) || slices.Contains(r.Findings, rules.KeyMismatch) {
		t.Errorf("re-check: rule %s, findings %v; want %s with DEFAULT_KEY_FALLBACK and no KEY_MISMATCH", r.Rule, r.Findings, rules.RootreplaceSourceEncShared)
	}
	// Without the carried ORIG the swap is judged against the policy only.
	blind := eng.Recheck(t.Context(), item, verify.Check{Attempt: 1})
	if got := blind.Resources[0]; got.Rule != rules.RootreplaceOrigUnknown || got.Expected != nil || got.Note != verify.NoteOrigUnknown {
		t.Errorf("without ORIG: %+v; want %s, expected null, the note", got, rules.RootreplaceOrigUnknown)
	}
}
