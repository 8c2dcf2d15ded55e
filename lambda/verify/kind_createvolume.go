package verify

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// ReasonCreationFailed is the terminal reason of a CreateVolume or
// CopyVolumes whose volume is in state error, or never listed after the
// response named it and the re-check backoff passed (formats.md §4).
const ReasonCreationFailed = "creation-failed"

// createVolume is the CreateVolume kind: the one new volume, read with
// DescribeVolumes (the response's encrypted and kmsKeyId are hints only: AWS
// validates the key asynchronously, and the volume can still fail).
type createVolume struct{}

var _ = engineFor[createVolumeParameters, createVolumeResponse](rules.CreateVolume, createVolume{})

func (createVolume) quick() bool { return true }

// newVolume describes the volume a CreateVolume or CopyVolumes response
// names; visible is false while it is not listed yet (EC2's eventual
// consistency: pending). A volume in state error, or never listed after the
// re-check backoff, is the creation-failed skip: a volume whose key was
// disabled or unusable is recorded as a success and then disappears
// (spec/rules.md, CreateVolume).
func newVolume(s *session, region, id string) (vol ec2types.Volume, visible bool, err error) {
	vol, err = s.volume(region, id)
	switch {
	case isNotFound(err) && s.gone():
		return vol, false, skip{ReasonCreationFailed}
	case isNotFound(err):
		return vol, false, nil
	case err != nil:
		return vol, false, err
	case vol.State == ec2types.VolumeStateError:
		return vol, true, skip{ReasonCreationFailed}
	}
	return vol, true, nil
}

// createVolumeParameters is CreateVolume's requestParameters; CloudTrail names
// the Availability Zone "zone" (older records) or "availabilityZone", or by ID
// "availabilityZoneId":
//
//	{"snapshotId": "snap-37beda4c", "zone": "us-east-1b", "size": "100",
//	 "volumeType": "gp3", "encrypted": true, "kmsKeyId": "alias/data",
//	 "outpostArn": "arn:aws:outposts:..."}
type createVolumeParameters struct {
	SnapshotID         cloudtrail.String `json:"snapshotId"`
	Zone               cloudtrail.String `json:"zone"`
	AvailabilityZone   cloudtrail.String `json:"availabilityZone"`
	AvailabilityZoneID cloudtrail.String `json:"availabilityZoneId"`
	Encrypted          cloudtrail.Flag   `json:"encrypted"`
	KMSKeyID           cloudtrail.String `json:"kmsKeyId"`
	OutpostARN         cloudtrail.String `json:"outpostArn"`
}

// createVolumeResponse is CreateVolume's responseElements:
//
//	{"volumeId": "vol-97c02b3e", "status": "creating", "encrypted": true, ...}
type createVolumeResponse struct {
	VolumeID cloudtrail.String `json:"volumeId"`
}

// createVolumeRequest is what a CreateVolume caller asked for.
type createVolumeRequest struct {
	SnapshotID string // "" for an empty volume
	Zone       string
	ZoneID     string // when the request names the zone by ID instead
	Encrypted  rules.Flag
	KMSKeyID   string
	Outpost    bool
	VolumeID   string // the new volume, from the response
}

// readCreateVolume reads a CreateVolume record's request and response.
func readCreateVolume(r *cloudtrail.Record) (createVolumeRequest, error) {
	var p createVolumeParameters
	if err := r.Request(&p); err != nil {
		return createVolumeRequest{}, fmt.Errorf("requestParameters: %w", err)
	}
	var resp createVolumeResponse
	if err := r.Response(&resp); err != nil {
		return createVolumeRequest{}, fmt.Errorf("responseElements: %w", err)
	}
	req := createVolumeRequest{
		SnapshotID: string(p.SnapshotID), Zone: string(p.Zone), Encrypted: rules.Flag(p.Encrypted),
		KMSKeyID: string(p.KMSKeyID), Outpost: p.OutpostARN != "", VolumeID: string(resp.VolumeID),
	}
	if req.Zone == "" {
		req.Zone = string(p.AvailabilityZone)
	}
	if req.Zone == "" {
		req.ZoneID = string(p.AvailabilityZoneID)
	}
	if req.VolumeID == "" {
		return req, fmt.Errorf("responseElements has no volumeId")
	}
	return req, nil
}

func (createVolume) targets(s *session, r *cloudtrail.Record) ([]target, error) {
	req, err := readCreateVolume(r)
	if err != nil {
		return nil, fmt.Errorf("malformed CreateVolume record: %w", err)
	}
	if req.Outpost {
		// A volume on an Outpost from a local snapshot keeps its key; the
		// documentation names no other case.
		return nil, skip{"unsupported:outpost-volume"}
	}
	region := s.region
	t := target{region: region, parent: req.VolumeID, requestKey: req.KMSKeyID, zone: zoneOption(req),
		src: source{SnapshotID: req.SnapshotID, Region: region, State: rules.EmptySource}}
	// The result first: a volume that failed or is gone ends here, whatever
	// became of its source snapshot.
	vol, visible, err := newVolume(s, region, req.VolumeID)
	if err != nil {
		return nil, err
	}
	if req.SnapshotID != "" {
		snaps, err := s.snapshots(region, []string{req.SnapshotID})
		if err != nil {
			return nil, err
		}
		snap, ok := snaps[req.SnapshotID]
		if !ok {
			// Deleted since (a restore's snapshot often is), or never shared:
			// which key the volume should have got cannot be said.
			if visible {
				t.resource = req.VolumeID
			}
			t.err = fmt.Errorf("source snapshot %s in %s: %w", req.SnapshotID, region, ErrNotFound)
			return []target{t}, nil
		}
		t.src = snapshotSource(s, region, snap)
	}
	ebd, err := s.ebd(region)
	if err != nil {
		return nil, err
	}
	t.in = rules.Input{Op: rules.CreateVolume, Source: t.src.State, Owned: t.src.Owned, SameRegion: true,
		Encrypted: req.Encrypted, KeyGiven: req.KMSKeyID != "", EBD: ebd}
	if visible {
		// A volume still "creating" already carries its key.
		t.see(s, aws.ToString(vol.VolumeId), vol.Encrypted, vol.KmsKeyId)
	}
	return []target{t}, nil
}

func (createVolume) fix(t target, key string) string {
	from := ""
	if t.src.SnapshotID != "" {
		from = " --snapshot-id " + t.src.SnapshotID
	}
	zone := t.zone
	if zone == "" {
		zone = "--availability-zone <zone>"
	}
	return fmt.Sprintf("create the volume again with `aws ec2 create-volume --region %s %s%s --encrypted --kms-key-id %s`, move its data, then delete %s",
		t.region, zone, from, key, t.parent)
}

// zoneOption names the new volume's zone for the CLI, as the request did.
func zoneOption(req createVolumeRequest) string {
	switch {
	case req.Zone != "":
		return "--availability-zone " + shellQuote(req.Zone)
	case req.ZoneID != "":
		return "--availability-zone-id " + shellQuote(req.ZoneID)
	}
	return ""
}
