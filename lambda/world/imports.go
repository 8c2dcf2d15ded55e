package world

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The VM Import tasks: an import completes after some polls (a later entry).
// A later entry's removed IDs do not apply to them (NeverRemoved).
var (
	importSnapshotTasks = declare(&listOf[ec2types.ImportSnapshotTask, importKeys]{
		Name: "importSnapshotTasks", Noun: "VM Import snapshot task", In: func(r *Region) *[]ec2types.ImportSnapshotTask { return &r.ImportSnapshotTasks },
		Later:        func(e *Later) *[]ec2types.ImportSnapshotTask { return &e.ImportSnapshotTasks },
		NeverRemoved: true,
		Keys:         func(x ec2types.ImportSnapshotTask) importKeys { return importKeys{x.ImportTaskId} },
		ID:           importKeys.id,
		Out: from(func(o *ec2.DescribeImportSnapshotTasksOutput) []ec2types.ImportSnapshotTask {
			return o.ImportSnapshotTasks
		}),
	})
	importImageTasks = declare(&listOf[ec2types.ImportImageTask, importKeys]{
		Name: "importImageTasks", Noun: "VM Import image task", In: func(r *Region) *[]ec2types.ImportImageTask { return &r.ImportImageTasks },
		Later:        func(e *Later) *[]ec2types.ImportImageTask { return &e.ImportImageTasks },
		NeverRemoved: true,
		Keys:         func(x ec2types.ImportImageTask) importKeys { return importKeys{x.ImportTaskId} },
		ID:           importKeys.id,
		Out:          from(func(o *ec2.DescribeImportImageTasksOutput) []ec2types.ImportImageTask { return o.ImportImageTasks }),
	})
)

// importKeys are what the index reads of an import task.
type importKeys struct{ ImportTaskId *string }

func (k importKeys) id() string { return aws.ToString(k.ImportTaskId) }

// DescribeImportSnapshotTasks answers by ImportTaskIds (every task when none
// is named). A task the world does not list is left out of the answer, as
// EC2 leaves out a task older than its 7-day listing window.
func (c *EC2) DescribeImportSnapshotTasks(_ context.Context, in *ec2.DescribeImportSnapshotTasksInput, _ ...func(*ec2.Options)) (*ec2.DescribeImportSnapshotTasksOutput, error) {
	if err := checkFilters(in.Filters); err != nil {
		return nil, err
	}
	reg, err := c.view(call{list: importSnapshotTasks, ids: in.ImportTaskIds})
	if err != nil {
		return nil, err
	}
	tasks := importSnapshotTasks.of(reg)
	out := &ec2.DescribeImportSnapshotTasksOutput{}
	if len(in.ImportTaskIds) == 0 {
		if out.ImportSnapshotTasks, err = tasks.all(); err != nil {
			return nil, err
		}
		return out, nil
	}
	ix := reg.idx()
	for _, id := range in.ImportTaskIds {
		if i, ok := ix.at(importSnapshotTasks, id); ok {
			t, err := tasks.at(i)
			if err != nil {
				return nil, err
			}
			out.ImportSnapshotTasks = append(out.ImportSnapshotTasks, t)
		}
	}
	return out, nil
}

// DescribeImportImageTasks answers by ImportTaskIds, as
// DescribeImportSnapshotTasks does.
func (c *EC2) DescribeImportImageTasks(_ context.Context, in *ec2.DescribeImportImageTasksInput, _ ...func(*ec2.Options)) (*ec2.DescribeImportImageTasksOutput, error) {
	if err := checkFilters(in.Filters); err != nil {
		return nil, err
	}
	reg, err := c.view(call{list: importImageTasks, ids: in.ImportTaskIds})
	if err != nil {
		return nil, err
	}
	tasks := importImageTasks.of(reg)
	out := &ec2.DescribeImportImageTasksOutput{}
	if len(in.ImportTaskIds) == 0 {
		if out.ImportImageTasks, err = tasks.all(); err != nil {
			return nil, err
		}
		return out, nil
	}
	ix := reg.idx()
	for _, id := range in.ImportTaskIds {
		if i, ok := ix.at(importImageTasks, id); ok {
			t, err := tasks.at(i)
			if err != nil {
				return nil, err
			}
			out.ImportImageTasks = append(out.ImportImageTasks, t)
		}
	}
	return out, nil
}

// snapshotFilter applies the DescribeSnapshots filters the engine uses:
// description (the ImportSnapshot fallback), snapshot-id and owner-id.
func snapshotFilter(s ec2types.Snapshot, filters []ec2types.Filter) bool {
	for _, f := range filters {
		var v string
		switch aws.ToString(f.Name) {
		case "description":
			v = aws.ToString(s.Description)
		case "snapshot-id":
			v = aws.ToString(s.SnapshotId)
		case "owner-id":
			v = aws.ToString(s.OwnerId)
		default:
			continue
		}
		if !slices.Contains(f.Values, v) {
			return false
		}
	}
	return true
}
