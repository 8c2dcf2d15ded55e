package verify_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// An import is pending while its task is active, and the re-checks follow
// the task: once it completes, the snapshot it names is judged. The live
// world completes the task after two polls.
func TestImportSnapshotFollowedByRechecks(t *testing.T) {
	w, it := load(t, "snapimport-pending")
	reg := region(w)
	taskID := aws.ToString(reg.ImportSnapshotTasks[0].ImportTaskId)
	done := reg.ImportSnapshotTasks[0]
	detail := *done.SnapshotTaskDetail
	detail.Status, detail.SnapshotId = aws.String("completed"), aws.String("snap-0f18000000000d035")
	done.SnapshotTaskDetail = &detail
	reg.Later = []world.Later{{AfterCalls: 2, ImportSnapshotTasks: []ec2types.ImportSnapshotTask{done},
		Snapshots: []ec2types.Snapshot{{SnapshotId: aws.String("snap-0f18000000000d035"), OwnerId: aws.String("222222222222"),
			State: ec2types.SnapshotStateCompleted, Encrypted: aws.Bool(true), Description: aws.String("Created by AWS-VMImport service for " + taskID)}}}}
	clock := time.Date(2026, 11, 20, 10, 5, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	live := w.Live(now)
	e := verify.New(verify.Config{Clients: live, Now: now})
	v := e.Evaluate(context.Background(), it)
	if v.Status != verify.StatusPending || v.RetrySoon {
		t.Fatalf("first look: %s (%s), retry soon %v; want pending, left to the re-check queue", v.Status, v.Reason, v.RetrySoon)
	}
	for attempt := 1; attempt <= 3; attempt++ {
		clock = clock.Add(time.Hour) // imports take hours: never "gone" while the task is listed
		v = e.Recheck(context.Background(), it, verify.Check{Attempt: attempt})
		if v.Status != verify.StatusPending {
			break
		}
	}
	if v.Status != verify.StatusViolation && v.Status != verify.StatusCompliant {
		t.Fatalf("after the task completed: %s (%s); want it judged", v.Status, v.Reason)
	}
	if r := v.Resources[0]; r.Resource != "snap-0f18000000000d035" || r.Parent != "snap-0f18000000000d035" || r.Actual == nil {
		t.Errorf("resource %+v; want the imported snapshot", r)
	}
}

// A completed import whose AMI is no longer listed: its snapshots are found
// through the task's SnapshotDetails, matched by DeviceName, and judged; with
// those gone too, the record is image-gone.
func TestImportImageAMINotListed(t *testing.T) {
	w, it := load(t, "imageimport-encrypt")
	region(w).Images = nil
	v := verify.New(verify.Config{Clients: w}).Evaluate(context.Background(), it)
	if v.Status != verify.StatusCompliant || len(v.Resources) != 2 || v.Resources[1].Device != "/dev/sdb" || v.Resources[1].Resource != "snap-0f18000000000e522" {
		b, _ := v.JSON()
		t.Errorf("AMI not listed: %s; want both snapshots judged through the task's details", b)
	}
	region(w).Snapshots = nil
	v = verify.New(verify.Config{Clients: w}).Evaluate(context.Background(), it)
	if v.Status != verify.StatusSkipped || v.Reason != "image-gone" {
		t.Errorf("AMI and snapshots gone: %s (%s); want skipped, image-gone", v.Status, v.Reason)
	}
}

// A CopyVolumes whose copy is never listed: pending on the first look,
// creation-failed after the backoff.
func TestCopyVolumesNeverListed(t *testing.T) {
	eventTime := time.Date(2026, 11, 20, 10, 4, 11, 0, time.UTC)
	w, it := load(t, "volcopy-encrypted-owned")
	reg := region(w)
	reg.Volumes = reg.Volumes[:1] // the source only
	if v := verify.New(verify.Config{Clients: w, Now: func() time.Time { return eventTime.Add(time.Minute) }}).Evaluate(context.Background(), it); v.Status != verify.StatusPending || !v.RetrySoon {
		t.Errorf("first look: %s (%s), retry soon %v; want pending, retried soon", v.Status, v.Reason, v.RetrySoon)
	}
	v := verify.New(verify.Config{Clients: w, Now: func() time.Time { return eventTime.Add(time.Hour) }}).Recheck(context.Background(), it, verify.Check{Attempt: 3})
	if v.Status != verify.StatusSkipped || v.Reason != verify.ReasonCreationFailed {
		t.Errorf("after the backoff: %s (%s); want skipped, creation-failed", v.Status, v.Reason)
	}
}

// The import tasks are asked once per event, and counted.
func TestImportLookupsCounted(t *testing.T) {
	for sample, api := range map[string]string{"snapimport-key": "DescribeImportSnapshotTasks", "imageimport-key": "DescribeImportImageTasks"} {
		w, it := load(t, sample)
		v := verify.New(verify.Config{Clients: w}).Evaluate(context.Background(), it)
		if v.Calls[api] != 1 {
			t.Errorf("%s: %s called %d times; want 1 (calls %v)", sample, api, v.Calls[api], v.Calls)
		}
	}
}
