package verify

import (
	"fmt"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// startSnapshot is the StartSnapshot kind (EBS direct APIs, eventSource
// ebs.amazonaws.com): the one snapshot a backup tool starts and writes block
// by block, its key fixed at start. The source is the parent snapshot.
type startSnapshot struct{}

var _ = engineFor[startSnapshotParameters, startSnapshotResponse](rules.StartSnapshot, startSnapshot{})

func (startSnapshot) quick() bool { return true }

// ReasonSnapshotNotCompleted skips a StartSnapshot whose snapshot is gone or
// in state error: the tool never completed it.
const ReasonSnapshotNotCompleted = "snapshot-not-completed"

// startSnapshotParameters is StartSnapshot's requestParameters (the EBS guide's
// CloudTrail example):
//
//	{"volumeSize": 8, "clientToken": "token", "encrypted": true,
//	 "kmsKeyArn": "arn:aws:kms:...", "parentSnapshotId": "snap-0a1", "timeout": 60}
type startSnapshotParameters struct {
	Encrypted        cloudtrail.Flag   `json:"encrypted"`
	KMSKeyARN        cloudtrail.String `json:"kmsKeyArn"`
	ParentSnapshotID cloudtrail.String `json:"parentSnapshotId"`
}

// startSnapshotResponse is StartSnapshot's responseElements; its kmsKeyArn is
// HIDDEN_DUE_TO_SECURITY_REASONS in the documented example, and a hint only.
type startSnapshotResponse struct {
	SnapshotID cloudtrail.String `json:"snapshotId"`
}

func (startSnapshot) targets(s *session, r *cloudtrail.Record) ([]target, error) {
	var p startSnapshotParameters
	if err := r.Request(&p); err != nil {
		return nil, fmt.Errorf("malformed StartSnapshot record: requestParameters: %w", err)
	}
	var resp startSnapshotResponse
	if err := r.Response(&resp); err != nil {
		return nil, fmt.Errorf("malformed StartSnapshot record: responseElements: %w", err)
	}
	id, parent := string(resp.SnapshotID), string(p.ParentSnapshotID)
	if id == "" {
		return nil, fmt.Errorf("malformed StartSnapshot record: responseElements has no snapshotId")
	}
	region := s.region
	ids := []string{id}
	if parent != "" {
		ids = append(ids, parent)
	}
	snaps, err := s.snapshots(region, ids)
	if err != nil {
		return nil, err
	}
	snap, visible := snaps[id]
	switch {
	case visible && snap.State == ec2types.SnapshotStateError:
		return nil, skip{ReasonSnapshotNotCompleted}
	case !visible && s.gone():
		return nil, skip{ReasonSnapshotNotCompleted}
	}
	key := string(p.KMSKeyARN)
	t := target{region: region, parent: id, requestKey: key, src: source{SnapshotID: parent, Region: region, State: rules.EmptySource}}
	if parent != "" {
		ps, ok := snaps[parent]
		if !ok {
			t.err = fmt.Errorf("parent snapshot %s in %s: %w", parent, region, ErrNotFound)
			if visible {
				t.resource = id
			}
			return []target{t}, nil
		}
		t.src = snapshotSource(s, region, ps)
	}
	ebd, err := s.ebd(region)
	if err != nil {
		return nil, err
	}
	t.in = rules.Input{Op: rules.StartSnapshot, Source: t.src.State, Owned: t.src.Owned, SameRegion: true,
		Encrypted: rules.Flag(p.Encrypted), KeyGiven: key != "", EBD: ebd}
	// A kmsKeyArn of HIDDEN_DUE_TO_SECURITY_REASONS is a key named but
	// hidden: the engine's marker rule (hidden.go) keeps the row with K,
	// directsnap/new/key, and judges it against the policy only.
	if visible {
		// The key is set at start: a pending snapshot is judged.
		t.see(s, id, snap.Encrypted, snap.KmsKeyId)
	}
	return []target{t}, nil
}

// fix starts the backup again with the key: the EBS direct APIs have no CLI
// command of their own that copies blocks, so the fix names the parameter.
func (startSnapshot) fix(t target, key string) string {
	return fmt.Sprintf("delete %s (aws ec2 delete-snapshot --region %s --snapshot-id %s) and have the backup tool start it again with StartSnapshot Encrypted=true, KmsKeyArn=%s",
		t.parent, t.region, t.parent, key)
}
