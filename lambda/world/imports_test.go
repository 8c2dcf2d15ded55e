package world_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/world"
)

const importsDoc = `{"accounts":{"222222222222":{"us-east-1":{
  "snapshots":[
    {"SnapshotId":"snap-1","Description":"Created by AWS-VMImport service for import-snap-1","AssociatedKmsKeys":[{"KmsKeyId":"arn:aws:kms:us-east-1:111111111111:key/b"}]},
    {"SnapshotId":"snap-2","Description":"other"}],
  "volumes":[{"VolumeId":"vol-1","OwnerId":"111111111111","VolumeArn":"arn:aws:ec2:us-east-1:111111111111:volume/vol-1","SourceVolumeId":"vol-0"}],
  "importSnapshotTasks":[{"ImportTaskId":"import-snap-1","SnapshotTaskDetail":{"Status":"active"}}],
  "importImageTasks":[{"ImportTaskId":"import-ami-1","Status":"converting","SnapshotDetails":[{"DeviceName":"/dev/sda1"}]}],
  "later":[{"afterCalls":1,"importSnapshotTasks":[{"ImportTaskId":"import-snap-1","SnapshotTaskDetail":{"Status":"completed","SnapshotId":"snap-1"}}]}]
}}}}`

// The world reads import tasks, the fields CopyVolumes and the associated
// keys rest on, and answers the description filter of the ImportSnapshot
// fallback.
func TestWorldImportsAndOwnership(t *testing.T) {
	w, err := world.Parse(strings.NewReader(importsDoc))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	api := w.EC2View("222222222222", "us-east-1")
	st, err := api.DescribeImportSnapshotTasks(ctx, &ec2.DescribeImportSnapshotTasksInput{ImportTaskIds: []string{"import-snap-1"}})
	if err != nil || len(st.ImportSnapshotTasks) != 1 || aws.ToString(st.ImportSnapshotTasks[0].SnapshotTaskDetail.Status) != "active" {
		t.Errorf("snapshot task: %+v, %v", st, err)
	}
	if st, err := api.DescribeImportSnapshotTasks(ctx, &ec2.DescribeImportSnapshotTasksInput{ImportTaskIds: []string{"import-snap-9"}}); err != nil || len(st.ImportSnapshotTasks) != 0 {
		t.Errorf("a task not listed: %+v, %v; want an empty answer", st, err)
	}
	it, err := api.DescribeImportImageTasks(ctx, &ec2.DescribeImportImageTasksInput{ImportTaskIds: []string{"import-ami-1"}})
	if err != nil || len(it.ImportImageTasks) != 1 || aws.ToString(it.ImportImageTasks[0].SnapshotDetails[0].DeviceName) != "/dev/sda1" {
		t.Errorf("image task: %+v, %v", it, err)
	}
	snaps, err := api.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"},
		Filters: []ec2types.Filter{{Name: aws.String("description"), Values: []string{"Created by AWS-VMImport service for import-snap-1"}}}})
	if err != nil || len(snaps.Snapshots) != 1 || aws.ToString(snaps.Snapshots[0].SnapshotId) != "snap-1" || len(snaps.Snapshots[0].AssociatedKmsKeys) != 1 {
		t.Errorf("description filter: %+v, %v; want snap-1 with its associated key", snaps, err)
	}
	vols, err := api.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{"vol-1"}})
	if err != nil || aws.ToString(vols.Volumes[0].OwnerId) != "111111111111" || aws.ToString(vols.Volumes[0].SourceVolumeId) != "vol-0" {
		t.Errorf("volume ownership: %+v, %v", vols, err)
	}

	// Live: the task completes after one poll.
	live := w.Live(func() time.Time { return time.Unix(0, 0) }).EC2View("222222222222", "us-east-1")
	var status []string
	for range 3 {
		out, err := live.DescribeImportSnapshotTasks(ctx, &ec2.DescribeImportSnapshotTasksInput{ImportTaskIds: []string{"import-snap-1"}})
		if err != nil || len(out.ImportSnapshotTasks) != 1 {
			t.Fatalf("live: %+v, %v", out, err)
		}
		status = append(status, aws.ToString(out.ImportSnapshotTasks[0].SnapshotTaskDetail.Status))
	}
	if strings.Join(status, ",") != "active,completed,completed" {
		t.Errorf("live statuses %v; want active, then completed", status)
	}
}
