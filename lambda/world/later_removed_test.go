package world_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// A later entry's removed IDs are images, snapshots, volumes, instances and
// root-volume replacement tasks (docs/world-file.md), never VM Import tasks,
// as before the lists were declared (ef98900): a task named in removed stays
// listed, and describing the import tasks does not count toward the entry,
// even when the call names none (every task) or names a removed ID.
func TestLaterRemovedLeavesImportTasks(t *testing.T) {
	const doc = `{"accounts":{"222222222222":{"us-east-1":{
  "images":[{"ImageId":"ami-old","State":"available"}],
  "importSnapshotTasks":[{"ImportTaskId":"import-snap-1","SnapshotTaskDetail":{"Status":"active"}}],
  "importImageTasks":[{"ImportTaskId":"import-ami-1","Status":"active"}],
  "later":[{"afterCalls":1,"removed":["ami-old","import-snap-1","import-ami-1"]}]}}}}`
	w, err := world.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e := w.Live(nil).EC2View("222222222222", "us-east-1")
	for i := range 3 {
		for _, ids := range [][]string{nil, {"import-snap-1"}} {
			out, err := e.DescribeImportSnapshotTasks(ctx, &ec2.DescribeImportSnapshotTasksInput{ImportTaskIds: ids})
			if err != nil || len(out.ImportSnapshotTasks) != 1 {
				t.Fatalf("call %d, ids %v: DescribeImportSnapshotTasks = %v, %v; want import-snap-1 listed", i, ids, out, err)
			}
		}
		for _, ids := range [][]string{nil, {"import-ami-1"}} {
			out, err := e.DescribeImportImageTasks(ctx, &ec2.DescribeImportImageTasksInput{ImportTaskIds: ids})
			if err != nil || len(out.ImportImageTasks) != 1 {
				t.Fatalf("call %d, ids %v: DescribeImportImageTasks = %v, %v; want import-ami-1 listed", i, ids, out, err)
			}
		}
	}
	// The import calls did not count: the entry applies after one
	// DescribeImages call that shows ami-old.
	if _, err := e.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{"ami-old"}}); err != nil {
		t.Fatalf("first DescribeImages: %v; want ami-old still there (the import calls counted toward the entry)", err)
	}
	if _, err := e.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{"ami-old"}}); code(err) != "InvalidAMIID.NotFound" {
		t.Fatalf("second DescribeImages: %v; want InvalidAMIID.NotFound", err)
	}
	if out, err := e.DescribeImportSnapshotTasks(ctx, &ec2.DescribeImportSnapshotTasksInput{}); err != nil || len(out.ImportSnapshotTasks) != 1 {
		t.Fatalf("after the entry applied: DescribeImportSnapshotTasks = %v, %v; want import-snap-1 still listed", out, err)
	}
}
