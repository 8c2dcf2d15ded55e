package verify

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// ReasonSourceGone is the terminal reason of a CopyVolumes whose source
// volume is gone (or not listed for the caller) and whose request names no
// key: SRC and the source's encryption are unknown (formats.md §4).
const ReasonSourceGone = "source-gone"

// copyVolumes is the CopyVolumes kind: one new volume, a crash-consistent
// copy of a volume in the same Availability Zone, read with DescribeVolumes
// like CreateVolume's. Its source is a volume, described in the call's
// Region; the source's OwnerId tells an owned source from one shared through
// AWS RAM.
type copyVolumes struct{}

var _ = engineFor[copyVolumesParameters, copyVolumesResponse](rules.CopyVolumes, copyVolumes{})

// A copy is listed within seconds, as a new volume is.
func (copyVolumes) quick() bool { return true }

// copyVolumesParameters is CopyVolumes' requestParameters:
//
//	{"sourceVolumeId": "vol-0a1" or "arn:aws:ec2:us-east-1:111111111111:volume/vol-0a1",
//	 "encrypted": true, "kmsKeyId": "alias/data", "size": 100, "volumeType": "gp3", ...}
type copyVolumesParameters struct {
	SourceVolumeID cloudtrail.String `json:"sourceVolumeId"`
	Encrypted      cloudtrail.Flag   `json:"encrypted"`
	KMSKeyID       cloudtrail.String `json:"kmsKeyId"`
}

// copyVolumesResponse is CopyVolumes' responseElements; the new volume is
// volumeSet.items[0].volumeId:
//
//	{"volumeSet": {"items": [{"volumeId": "vol-0new", "status": "creating", ...}]}}
type copyVolumesResponse struct {
	VolumeSet cloudtrail.Items[struct {
		VolumeID cloudtrail.String `json:"volumeId"`
	}] `json:"volumeSet"`
}

// copyVolumesRequest is what a CopyVolumes caller asked for.
type copyVolumesRequest struct {
	SourceVolumeID string // the bare ID, also when the request names an ARN
	SourceAccount  string // the account a source ARN names, else ""
	Encrypted      rules.Flag
	KMSKeyID       string
	VolumeID       string // the new volume, from the response
}

// readCopyVolumes reads a CopyVolumes record's request and response.
func readCopyVolumes(r *cloudtrail.Record) (copyVolumesRequest, error) {
	var p copyVolumesParameters
	if err := r.Request(&p); err != nil {
		return copyVolumesRequest{}, fmt.Errorf("requestParameters: %w", err)
	}
	var resp copyVolumesResponse
	if err := r.Response(&resp); err != nil {
		return copyVolumesRequest{}, fmt.Errorf("responseElements: %w", err)
	}
	req := copyVolumesRequest{Encrypted: rules.Flag(p.Encrypted), KMSKeyID: string(p.KMSKeyID)}
	req.SourceVolumeID, req.SourceAccount = volumeRef(string(p.SourceVolumeID))
	if len(resp.VolumeSet) > 0 {
		req.VolumeID = string(resp.VolumeSet[0].VolumeID)
	}
	switch {
	case req.SourceVolumeID == "":
		return req, fmt.Errorf("requestParameters: no sourceVolumeId")
	case req.VolumeID == "":
		return req, fmt.Errorf("responseElements has no volumeSet.items[0].volumeId")
	}
	return req, nil
}

// volumeRef reads a volume ID or volume ARN
// (arn:aws:ec2:<region>:<account>:volume/<id>): the bare ID, and the account
// an ARN names.
func volumeRef(ref string) (id, account string) {
	if !strings.HasPrefix(ref, "arn:") {
		return ref, ""
	}
	parts := strings.SplitN(ref, ":", 6)
	if len(parts) != 6 || !strings.HasPrefix(parts[5], "volume/") {
		return "", ""
	}
	return strings.TrimPrefix(parts[5], "volume/"), parts[4]
}

// accountOfARN returns the account an ARN names, or "".
func accountOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

func (copyVolumes) targets(s *session, r *cloudtrail.Record) ([]target, error) {
	req, err := readCopyVolumes(r)
	if err != nil {
		return nil, fmt.Errorf("malformed CopyVolumes record: %w", err)
	}
	region := s.region
	// The result first: a copy that failed or never appeared ends here,
	// whatever became of its source.
	vol, visible, err := newVolume(s, region, req.VolumeID)
	if err != nil {
		return nil, err
	}
	t := target{region: region, parent: req.VolumeID, requestKey: req.KMSKeyID,
		src: source{SnapshotID: req.SourceVolumeID, Region: region}}
	ebd, err := s.ebd(region)
	if err != nil {
		return nil, err
	}
	srcVol, err := s.volume(region, req.SourceVolumeID)
	switch {
	case isNotFound(err) && req.KMSKeyID == "":
		// Deleted while (or since) the copy ran, or not listed for the
		// caller: which key the copy should have got cannot be said.
		return nil, skip{ReasonSourceGone}
	case isNotFound(err):
		// Every row with K predicts K: the source's state does not matter.
		t.src.State = rules.EncryptedSource
		t.in = rules.Input{Op: rules.CopyVolumes, Source: rules.EncryptedSource, Owned: true, SameRegion: true,
			Encrypted: req.Encrypted, KeyGiven: true, EBD: ebd}
	case err != nil:
		return nil, err
	default:
		t.src = volumeSource(s, region, srcVol, req.SourceAccount)
		t.in = rules.Input{Op: rules.CopyVolumes, Source: t.src.State, Owned: t.src.Owned, SameRegion: true,
			Encrypted: req.Encrypted, KeyGiven: req.KMSKeyID != "", EBD: ebd}
		if t.src.State == rules.EncryptedSource && !t.src.Owned && !t.src.ownerKnown {
			t.in.Owned, t.in.OwnerUnknown = true, true
		}
	}
	if visible {
		// A copy still "creating" already carries its key.
		t.see(s, aws.ToString(vol.VolumeId), vol.Encrypted, vol.KmsKeyId)
	}
	return []target{t}, nil
}

// volumeSource describes a source volume (spec/rules.md, CopyVolumes): owned
// when its OwnerId is the calling account, shared when OwnerId is another
// account or, with OwnerId absent, when an ARN (the volume's VolumeArn or the
// request's sourceVolumeId) names another account; unknown when neither
// says (an ARN naming the calling account does not say the volume is owned).
func volumeSource(s *session, region string, vol ec2types.Volume, requestAccount string) source {
	src := source{SnapshotID: aws.ToString(vol.VolumeId), Region: region, State: rules.UnencryptedSource}
	if isEncrypted(vol.Encrypted, vol.KmsKeyId) {
		src.State, src.KeyRef = rules.EncryptedSource, aws.ToString(vol.KmsKeyId)
	}
	if owner := aws.ToString(vol.OwnerId); owner != "" {
		src.ownerKnown, src.Owned = true, owner == s.account
		return src
	}
	for _, a := range []string{accountOfARN(aws.ToString(vol.VolumeArn)), requestAccount} {
		if a != "" && a != s.account {
			src.ownerKnown, src.Owned = true, false
			return src
		}
	}
	return src
}

// fix copies the source again with the key, then retires the bad copy.
func (copyVolumes) fix(t target, key string) string {
	return fmt.Sprintf("copy the volume again with `aws ec2 copy-volumes --region %s --source-volume-id %s --encrypted --kms-key-id %s`, move its users to the new copy, then delete %s",
		t.region, shellQuote(t.src.SnapshotID), key, t.parent)
}
