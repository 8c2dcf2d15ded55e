package cloudtrail

import (
	"encoding/json"
	"fmt"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

// copyImageParameters is CopyImage's requestParameters:
//
//	{"sourceRegion": "us-east-1", "sourceImageId": "ami-0a1", "name": "web",
//	 "encrypted": true, "kmsKeyId": "alias/web",
//	 "destinationOutpostArn": "arn:aws:outposts:...", "destinationAvailabilityZone": "..."}
type copyImageParameters struct {
	SourceRegion                  String `json:"sourceRegion"`
	SourceImageID                 String `json:"sourceImageId"`
	Encrypted                     Flag   `json:"encrypted"`
	KMSKeyID                      String `json:"kmsKeyId"`
	DestinationOutpostARN         String `json:"destinationOutpostArn"`
	DestinationAvailabilityZone   String `json:"destinationAvailabilityZone"`
	DestinationAvailabilityZoneID String `json:"destinationAvailabilityZoneId"`
}

// copyImageResponse is CopyImage's responseElements: {"imageId": "ami-0new"}.
type copyImageResponse struct {
	ImageID String `json:"imageId"`
}

// CopyImageRequest is what a CopyImage caller asked for.
type CopyImageRequest struct {
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

// CopyImage reads a CopyImage record's request and response.
func CopyImage(r *Record) (CopyImageRequest, error) {
	var p copyImageParameters
	if err := unmarshalOptional(r.RequestParameters, &p); err != nil {
		return CopyImageRequest{}, fmt.Errorf("requestParameters: %w", err)
	}
	var resp copyImageResponse
	if err := unmarshalOptional(r.ResponseElements, &resp); err != nil {
		return CopyImageRequest{}, fmt.Errorf("responseElements: %w", err)
	}
	req := CopyImageRequest{
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

// unmarshalOptional decodes a field that may be missing or null.
func unmarshalOptional(raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return json.Unmarshal(raw, v)
}
