package world

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// DescribeImportSnapshotTasks answers by ImportTaskIds (every task when none
// is named). A task the world does not list is left out of the answer, as
// EC2 leaves out a task older than its 7-day listing window.
func (c *EC2) DescribeImportSnapshotTasks(_ context.Context, in *ec2.DescribeImportSnapshotTasksInput, _ ...func(*ec2.Options)) (*ec2.DescribeImportSnapshotTasksOutput, error) {
	if err := checkFilters(in.Filters); err != nil {
		return nil, err
	}
	reg, err := c.view(call{kind: "importSnapshotTasks", ids: in.ImportTaskIds})
	if err != nil {
		return nil, err
	}
	tasks := reg.importSnapshotList()
	out := &ec2.DescribeImportSnapshotTasksOutput{}
	if len(in.ImportTaskIds) == 0 {
		if out.ImportSnapshotTasks, err = tasks.all(); err != nil {
			return nil, err
		}
		return out, nil
	}
	ix := reg.idx()
	for _, id := range in.ImportTaskIds {
		if i, ok := ix.importSnapshotTasks[id]; ok {
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
	reg, err := c.view(call{kind: "importImageTasks", ids: in.ImportTaskIds})
	if err != nil {
		return nil, err
	}
	tasks := reg.importImageList()
	out := &ec2.DescribeImportImageTasksOutput{}
	if len(in.ImportTaskIds) == 0 {
		if out.ImportImageTasks, err = tasks.all(); err != nil {
			return nil, err
		}
		return out, nil
	}
	ix := reg.idx()
	for _, id := range in.ImportTaskIds {
		if i, ok := ix.importImageTasks[id]; ok {
			t, err := tasks.at(i)
			if err != nil {
				return nil, err
			}
			out.ImportImageTasks = append(out.ImportImageTasks, t)
		}
	}
	return out, nil
}

// importConcerns reports whether a describe call of import tasks would show
// one of a later entry's tasks.
func (e Later) importConcerns(q call) bool {
	named := func(id *string) bool { return len(q.ids) == 0 || slices.Contains(q.ids, aws.ToString(id)) }
	switch q.kind {
	case "importSnapshotTasks":
		return slices.ContainsFunc(e.ImportSnapshotTasks, func(t ec2types.ImportSnapshotTask) bool { return named(t.ImportTaskId) })
	case "importImageTasks":
		return slices.ContainsFunc(e.ImportImageTasks, func(t ec2types.ImportImageTask) bool { return named(t.ImportTaskId) })
	}
	return false
}

// applyImports replaces same-ID tasks with the entry's, or adds them.
func (e Later) applyImports(r *Region) {
	r.ImportSnapshotTasks = upsert(slices.Clone(r.ImportSnapshotTasks), e.ImportSnapshotTasks, func(x ec2types.ImportSnapshotTask) string { return aws.ToString(x.ImportTaskId) }, nil)
	r.ImportImageTasks = upsert(slices.Clone(r.ImportImageTasks), e.ImportImageTasks, func(x ec2types.ImportImageTask) string { return aws.ToString(x.ImportTaskId) }, nil)
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
