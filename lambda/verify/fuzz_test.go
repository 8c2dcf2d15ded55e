package verify_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// FuzzEvaluate feeds arbitrary input through the decoder and every kind's
// request reader and finder, against a sample's world: nothing may panic, and
// every verdict has a status, with a reason when it is skipped or an error.
func FuzzEvaluate(f *testing.F) {
	seeds, _ := filepath.Glob("../../events/samples/*/event.json")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		`{"eventName":"CreateVolume","eventSource":"ec2.amazonaws.com","awsRegion":"us-east-1","recipientAccountId":"222222222222","eventTime":"2026-11-20T10:04:11Z","requestParameters":{"snapshotId":"snap-0a11000000000000a","zone":"us-east-1a","encrypted":"true","kmsKeyId":"alias/team"},"responseElements":{"volumeId":"vol-1","status":"creating"}}`,
		`{"eventName":"CreateVolume","eventSource":"ec2.amazonaws.com","awsRegion":"us-east-1","recipientAccountId":"222222222222","eventTime":"2026-11-20T10:04:11Z","requestParameters":{"size":"10","zone":"us-east-1a","outpostArn":"arn:aws:outposts:us-east-1:1:outpost/op-1"},"responseElements":{"volumeId":"vol-2"}}`,
		`{"eventName":"CopySnapshot","eventSource":"ec2.amazonaws.com","awsRegion":"eu-west-1","recipientAccountId":"222222222222","eventTime":"2026-11-20T10:04:11Z","requestParameters":{"sourceRegion":"us-east-1","sourceSnapshotId":"snap-0a33000000000000c","encrypted":true},"responseElements":{"snapshotId":"snap-2"}}`,
		`{"eventName":"CopySnapshot","eventSource":"ec2.amazonaws.com","awsRegion":"us-east-1","recipientAccountId":"222222222222","eventTime":"2026-11-20T10:04:11Z","requestParameters":{"sourceSnapshotId":"snap-0a33000000000000c","destinationOutpostArn":"arn:aws:outposts:us-east-1:1:outpost/op-1","kmsKeyId":7},"responseElements":null}`,
	} {
		f.Add([]byte(s))
	}
	w, err := world.Load("../../events/samples/copy-encrypted-shared/world.json")
	if err != nil {
		f.Fatal(err)
	}
	e := verify.New(verify.Config{Clients: w})
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, it := range cloudtrail.DecodeAll(in) {
			v := e.Evaluate(context.Background(), it)
			switch v.Status {
			case verify.StatusCompliant, verify.StatusViolation, verify.StatusPending:
			case verify.StatusSkipped, verify.StatusError:
				if v.Reason == "" {
					t.Fatalf("%s verdict without a reason for %q", v.Status, in)
				}
			default:
				t.Fatalf("status %q for %q", v.Status, in)
			}
		}
	})
}
