package verify

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// copyImage is the CopyImage kind: one result per EBS snapshot of the source
// AMI, found in the new AMI's mappings.
type copyImage struct{}

var _ = engineFor[copyImageParameters, copyImageResponse](rules.CopyImage, copyImage{})

func (copyImage) quick() bool { return false }

// copyImageParameters is CopyImage's requestParameters:
//
//	{"sourceRegion": "us-east-1", "sourceImageId": "ami-0a1", "name": "web",
//	 "encrypted": true, "kmsKeyId": "alias/web",
//	 "destinationOutpostArn": "arn:aws:outposts:...", "destinationAvailabilityZone": "..."}
type copyImageParameters struct {
	SourceRegion                  cloudtrail.String `json:"sourceRegion"`
	SourceImageID                 cloudtrail.String `json:"sourceImageId"`
	Encrypted                     cloudtrail.Flag   `json:"encrypted"`
	KMSKeyID                      cloudtrail.String `json:"kmsKeyId"`
	DestinationOutpostARN         cloudtrail.String `json:"destinationOutpostArn"`
	DestinationAvailabilityZone   cloudtrail.String `json:"destinationAvailabilityZone"`
	DestinationAvailabilityZoneID cloudtrail.String `json:"destinationAvailabilityZoneId"`
}

// copyImageResponse is CopyImage's responseElements: {"imageId": "ami-0new"}.
type copyImageResponse struct {
	ImageID cloudtrail.String `json:"imageId"`
}

// copyImageRequest is what a CopyImage caller asked for.
type copyImageRequest struct {
	SourceRegion  string
	SourceImageID string
	Encrypted     rules.Flag
	KMSKeyID      string
	Destination   rules.Destination
	// LocalZone is set for a copy to a Local Zone, which the rules do not cover.
	LocalZone string
	// ImageID is the new AMI, from the response; empty when the record lacks it.
	ImageID string
}

// readCopyImage reads a CopyImage record's request and response.
func readCopyImage(r *cloudtrail.Record) (copyImageRequest, error) {
	var p copyImageParameters
	if err := r.Request(&p); err != nil {
		return copyImageRequest{}, fmt.Errorf("requestParameters: %w", err)
	}
	var resp copyImageResponse
	if err := r.Response(&resp); err != nil {
		return copyImageRequest{}, fmt.Errorf("responseElements: %w", err)
	}
	req := copyImageRequest{
		SourceRegion:  string(p.SourceRegion),
		SourceImageID: string(p.SourceImageID),
		Encrypted:     rules.Flag(p.Encrypted),
		KMSKeyID:      string(p.KMSKeyID),
		ImageID:       string(resp.ImageID),
	}
	if p.DestinationOutpostARN != "" {
		req.Destination = rules.ToOutpost
	}
	req.LocalZone = string(p.DestinationAvailabilityZone)
	if req.LocalZone == "" {
		req.LocalZone = string(p.DestinationAvailabilityZoneID)
	}
	if req.SourceImageID == "" {
		return req, fmt.Errorf("requestParameters: no sourceImageId")
	}
	if req.SourceRegion == "" {
		// CLI and SDK default the source Region to the destination's.
		req.SourceRegion = string(r.AWSRegion)
	}
	return req, nil
}

func (copyImage) targets(s *session, r *cloudtrail.Record) ([]target, error) {
	req, err := readCopyImage(r)
	if err != nil {
		return nil, fmt.Errorf("malformed CopyImage record: %w", err)
	}
	if req.LocalZone != "" {
		return nil, skip{"unsupported:local-zone-copy"}
	}
	if !ValidRegion(req.SourceRegion) {
		return nil, fmt.Errorf("invalid Region %q in sourceRegion", req.SourceRegion)
	}
	if req.ImageID == "" {
		return nil, fmt.Errorf("malformed CopyImage record: responseElements has no imageId")
	}
	region := s.region
	sameRegion := req.SourceRegion == region
	if sameRegion && !s.known("image/"+s.account+"/"+region+"/"+req.SourceImageID) {
		// The first copy of an AMI: both AMIs, then all their snapshots, in
		// one call each.
		if err := s.prefetchImages(region, req.SourceImageID, req.ImageID); err != nil {
			return nil, err
		}
	}
	// The result first: a copy that failed or is gone ends here, whatever
	// became of its source (unless the source makes nothing to check).
	newImage, resultErr := copiedImage(s, region, req.ImageID)
	var ended skip
	if resultErr != nil && !errors.As(resultErr, &ended) {
		return nil, resultErr
	}
	srcImage, err := s.image(req.SourceRegion, req.SourceImageID)
	switch {
	case err == nil && len(ebsSnapshots(srcImage.BlockDeviceMappings)) == 0:
		return nil, nil // instance-store backed: nothing to check
	case resultErr != nil:
		return nil, resultErr
	case isNotFound(err) && newImage != nil:
		return sourceGone(req, region, newImage, err), nil
	case err != nil:
		return nil, fmt.Errorf("source image: %w", err)
	}
	mappings := ebsSnapshots(srcImage.BlockDeviceMappings)
	ids := snapshotIDs(mappings)
	if sameRegion && newImage != nil {
		ids = append(ids, snapshotIDs(ebsSnapshots(newImage.BlockDeviceMappings))...)
	}
	srcSnaps, err := s.snapshots(req.SourceRegion, ids)
	if err != nil {
		return nil, err
	}
	newSnaps, err := copiedSnapshots(s, region, newImage)
	if err != nil {
		return nil, err
	}
	ebd, err := s.ebd(region)
	if err != nil {
		return nil, err
	}
	var out []target
	for _, m := range mappings {
		src := sourceOf(s, req.SourceRegion, *srcImage, m, srcSnaps)
		t := target{
			region: region, parent: req.ImageID, device: aws.ToString(m.DeviceName), src: src,
			requestKey: req.KMSKeyID, image: req.SourceImageID,
			in: rules.Input{Op: rules.CopyImage, Source: src.State, Owned: src.Owned, SameRegion: req.SourceRegion == region,
				Destination: req.Destination, Encrypted: req.Encrypted, KeyGiven: req.KMSKeyID != "", EBD: ebd},
		}
		if snap, ok := newSnaps[t.device]; ok {
			t.see(s, aws.ToString(snap.SnapshotId), snap.Encrypted, snap.KmsKeyId)
		}
		out = append(out, t)
	}
	return out, nil
}

func (copyImage) fix(t target, key string) string {
	return fmt.Sprintf("deregister %s and copy again with `aws ec2 copy-image --region %s --source-region %s --source-image-id %s --name <a name for the copy> --encrypted --kms-key-id %s`",
		t.parent, t.region, t.src.Region, t.image, key)
}

// sourceGone is the copy's results when its source AMI was deregistered
// since (an audit of old events meets many): each new snapshot is there, but
// which key it should have got cannot be said.
func sourceGone(req copyImageRequest, region string, newImage *ec2types.Image, err error) []target {
	var out []target
	for _, m := range ebsSnapshots(newImage.BlockDeviceMappings) {
		out = append(out, target{region: region, parent: req.ImageID, device: aws.ToString(m.DeviceName), image: req.SourceImageID,
			resource: aws.ToString(m.Ebs.SnapshotId),
			err:      fmt.Errorf("source image %s is gone, so which key the copy should have got cannot be said: %w", req.SourceImageID, err)})
	}
	return out
}

// copiedImage describes the new AMI: nil while it is not visible. A copy
// that failed, or whose AMI is gone, ends the evaluation (skipped).
func copiedImage(s *session, region, imageID string) (*ec2types.Image, error) {
	img, err := s.image(region, imageID)
	if isNotFound(err) {
		if s.gone() {
			return nil, skip{"image-gone"}
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("copied image: %w", err)
	}
	switch img.State {
	case ec2types.ImageStateAvailable, ec2types.ImageStatePending, ec2types.ImageStateTransient, ec2types.ImageStateDisabled, "":
		return img, nil
	case ec2types.ImageStateDeregistered:
		return nil, skip{"image-gone"}
	default: // failed, error, invalid
		return nil, skip{"copy-failed"}
	}
}

// copiedSnapshots returns the new AMI's snapshots by device, as far as they
// are visible. A copy still pending that already lists its snapshots is
// judged on them: a snapshot carries its key from creation.
func copiedSnapshots(s *session, region string, img *ec2types.Image) (map[string]ec2types.Snapshot, error) {
	if img == nil {
		return nil, nil
	}
	mappings := ebsSnapshots(img.BlockDeviceMappings)
	snaps, err := s.snapshots(region, snapshotIDs(mappings))
	if err != nil {
		return nil, err
	}
	out := map[string]ec2types.Snapshot{}
	for _, m := range mappings {
		if snap, ok := snaps[aws.ToString(m.Ebs.SnapshotId)]; ok {
			out[aws.ToString(m.DeviceName)] = snap
		}
	}
	return out, nil
}
