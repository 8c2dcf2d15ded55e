package verify

import (
	"fmt"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// copySnapshot is the CopySnapshot kind: the one new snapshot, made in the
// Region of the call from a snapshot described in sourceRegion.
type copySnapshot struct{}

var _ = engineFor[copySnapshotParameters, copySnapshotResponse](rules.CopySnapshot, copySnapshot{})

func (copySnapshot) quick() bool { return false }

// copySnapshotParameters is CopySnapshot's requestParameters, recorded in the
// destination Region:
//
//	{"sourceRegion": "us-east-1", "sourceSnapshotId": "snap-0a1", "description": "...",
//	 "encrypted": true, "kmsKeyId": "alias/backup",
//	 "destinationOutpostArn": "arn:aws:outposts:...", "destinationAvailabilityZone": "..."}
type copySnapshotParameters struct {
	SourceRegion                cloudtrail.String `json:"sourceRegion"`
	SourceSnapshotID            cloudtrail.String `json:"sourceSnapshotId"`
	Encrypted                   cloudtrail.Flag   `json:"encrypted"`
	KMSKeyID                    cloudtrail.String `json:"kmsKeyId"`
	DestinationOutpostARN       cloudtrail.String `json:"destinationOutpostArn"`
	DestinationAvailabilityZone cloudtrail.String `json:"destinationAvailabilityZone"`
	Description                 cloudtrail.String `json:"description"`
}

// copySnapshotResponse is CopySnapshot's responseElements: {"snapshotId": "snap-0new"}.
type copySnapshotResponse struct {
	SnapshotID cloudtrail.String `json:"snapshotId"`
}

// copySnapshotRequest is what a CopySnapshot caller asked for.
type copySnapshotRequest struct {
	SourceRegion     string
	SourceSnapshotID string
	Encrypted        rules.Flag
	KMSKeyID         string
	Destination      rules.Destination
	LocalZone        string
	SnapshotID       string // the new snapshot, from the response
	Description      string
}

// readCopySnapshot reads a CopySnapshot record's request and response.
func readCopySnapshot(r *cloudtrail.Record) (copySnapshotRequest, error) {
	var p copySnapshotParameters
	if err := r.Request(&p); err != nil {
		return copySnapshotRequest{}, fmt.Errorf("requestParameters: %w", err)
	}
	var resp copySnapshotResponse
	if err := r.Response(&resp); err != nil {
		return copySnapshotRequest{}, fmt.Errorf("responseElements: %w", err)
	}
	req := copySnapshotRequest{
		SourceRegion: string(p.SourceRegion), SourceSnapshotID: string(p.SourceSnapshotID),
		Encrypted: rules.Flag(p.Encrypted), KMSKeyID: string(p.KMSKeyID),
		LocalZone: string(p.DestinationAvailabilityZone), SnapshotID: string(resp.SnapshotID),
		Description: string(p.Description),
	}
	if p.DestinationOutpostARN != "" {
		req.Destination = rules.ToOutpost
	}
	switch {
	case req.SourceSnapshotID == "":
		return req, fmt.Errorf("requestParameters: no sourceSnapshotId")
	case req.SnapshotID == "":
		return req, fmt.Errorf("responseElements has no snapshotId")
	}
	if req.SourceRegion == "" {
		req.SourceRegion = string(r.AWSRegion)
	}
	return req, nil
}

func (copySnapshot) targets(s *session, r *cloudtrail.Record) ([]target, error) {
	req, err := readCopySnapshot(r)
	if err != nil {
		return nil, fmt.Errorf("malformed CopySnapshot record: %w", err)
	}
	if req.LocalZone != "" {
		return nil, skip{"unsupported:local-zone-copy"}
	}
	if !ValidRegion(req.SourceRegion) {
		return nil, fmt.Errorf("invalid Region %q in sourceRegion", req.SourceRegion)
	}
	region := s.region
	ids := []string{req.SourceSnapshotID}
	if req.SourceRegion == region {
		ids = append(ids, req.SnapshotID) // the source and the copy in one call
	}
	srcSnaps, err := s.snapshots(req.SourceRegion, ids)
	if err != nil {
		return nil, err
	}
	// The result first: a copy that failed or is gone ends here, whatever
	// became of its source.
	copies, err := s.snapshots(region, []string{req.SnapshotID})
	if err != nil {
		return nil, err
	}
	snap, visible := copies[req.SnapshotID]
	if importInternal(r, req.Description, snap) {
		// Part of a VM Import: the import's record carries the verdict.
		return nil, skip{ReasonImportInternal}
	}
	switch {
	case !visible && s.gone():
		return nil, skip{"snapshot-gone"}
	case visible && snap.State == ec2types.SnapshotStateError:
		return nil, skip{"copy-failed"}
	}
	t := target{region: region, parent: req.SnapshotID, requestKey: req.KMSKeyID,
		src: source{SnapshotID: req.SourceSnapshotID, Region: req.SourceRegion}}
	srcSnap, ok := srcSnaps[req.SourceSnapshotID]
	if !ok {
		// Deleted since, or never shared: which key the copy should have got
		// cannot be said.
		if visible {
			t.resource = req.SnapshotID
		}
		t.err = fmt.Errorf("source snapshot %s in %s: %w", req.SourceSnapshotID, req.SourceRegion, ErrNotFound)
		return []target{t}, nil
	}
	ebd, err := s.ebd(region)
	if err != nil {
		return nil, err
	}
	t.src = snapshotSource(s, req.SourceRegion, srcSnap)
	t.in = rules.Input{Op: rules.CopySnapshot, Source: t.src.State, Owned: t.src.Owned, SameRegion: req.SourceRegion == region,
		Destination: req.Destination, Encrypted: req.Encrypted, KeyGiven: req.KMSKeyID != "", EBD: ebd}
	if visible {
		// A copy still pending already carries its key.
		t.see(s, req.SnapshotID, snap.Encrypted, snap.KmsKeyId)
	}
	return []target{t}, nil
}

func (copySnapshot) fix(t target, key string) string {
	return fmt.Sprintf("delete %s and copy again with `aws ec2 copy-snapshot --region %s --source-region %s --source-snapshot-id %s --encrypted --kms-key-id %s`",
		t.parent, t.region, t.src.Region, t.src.SnapshotID, key)
}
