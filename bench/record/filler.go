package main

import (
	"encoding/json"
	"fmt"
)

// filler is how many resources of no concern to the records a world holds
// besides the samples' own, so that replay's lookups are measured against a
// world the size of a real account's: volumes (each attached to an instance
// of its own), snapshots and images.
type filler struct {
	Volumes, Snapshots, Images int
}

// fill adds the filler resources to the sample account's Region of a merged
// world (as mergeWorlds writes it).
func fill(world []byte, f filler) ([]byte, error) {
	if f == (filler{}) {
		return world, nil
	}
	var w struct {
		Accounts map[string]map[string]map[string]json.RawMessage `json:"accounts"`
	}
	if err := json.Unmarshal(world, &w); err != nil {
		return nil, err
	}
	view := w.Accounts[account][region]
	if view == nil {
		return nil, fmt.Errorf("the world has no %s %s to fill", account, region)
	}
	add := func(field string, n int, item func(i int) map[string]any) error {
		var list []json.RawMessage
		if old := view[field]; old != nil {
			if err := json.Unmarshal(old, &list); err != nil {
				return fmt.Errorf("%s: %w", field, err)
			}
		}
		for i := range n {
			b, err := json.Marshal(item(i))
			if err != nil {
				return err
			}
			list = append(list, b)
		}
		b, err := json.Marshal(list)
		view[field] = b
		return err
	}
	key := "arn:aws:kms:" + region + ":" + account + ":key/f111e000-0000-4000-8000-000000000001"
	if err := add("volumes", f.Volumes, func(i int) map[string]any {
		return map[string]any{"VolumeId": fmt.Sprintf("vol-f%016x", i), "Size": 8, "State": "in-use", "Encrypted": true, "KmsKeyId": key,
			"AvailabilityZone": region + "a", "SnapshotId": fmt.Sprintf("snap-f%016x", i%max(1, f.Snapshots)),
			"Attachments": []map[string]any{{"InstanceId": fmt.Sprintf("i-f%016x", i), "Device": "/dev/xvda", "VolumeId": fmt.Sprintf("vol-f%016x", i), "State": "attached"}}}
	}); err != nil {
		return nil, err
	}
	if err := add("snapshots", f.Snapshots, func(i int) map[string]any {
		return map[string]any{"SnapshotId": fmt.Sprintf("snap-f%016x", i), "State": "completed", "Encrypted": true, "KmsKeyId": key,
			"OwnerId": account, "VolumeSize": 8}
	}); err != nil {
		return nil, err
	}
	if err := add("images", f.Images, func(i int) map[string]any {
		return map[string]any{"ImageId": fmt.Sprintf("ami-f%016x", i), "State": "available", "OwnerId": account,
			"BlockDeviceMappings": []map[string]any{{"DeviceName": "/dev/xvda", "Ebs": map[string]any{"SnapshotId": fmt.Sprintf("snap-f%016x", i%max(1, f.Snapshots)), "Encrypted": true}}}}
	}); err != nil {
		return nil, err
	}
	return json.Marshal(w)
}
