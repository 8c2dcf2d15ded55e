// Package world answers EC2 and KMS lookups from a world file (formats.md §2)
// instead of AWS, with the SDK v2 signatures and the errors the real APIs
// return, so that the engine runs the same code offline.
package world

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// World is the parsed world file: account ID → Region → that account's view.
type World struct {
	Accounts map[string]map[string]*Region `json:"accounts"`
}

// Region is what the EC2 and KMS APIs return when called from one account in
// one Region. Resource objects use the EC2/KMS API field names, as the AWS CLI
// prints them.
type Region struct {
	EBSEncryptionByDefault bool                             `json:"ebsEncryptionByDefault"`
	EBSDefaultKMSKeyID     string                           `json:"ebsDefaultKmsKeyId"`
	Keys                   []Key                            `json:"keys"`
	Images                 []ec2types.Image                 `json:"images"`
	Snapshots              []ec2types.Snapshot              `json:"snapshots"`
	Instances              []ec2types.Instance              `json:"instances"`
	Volumes                []ec2types.Volume                `json:"volumes"`
	LaunchTemplateVersions []ec2types.LaunchTemplateVersion `json:"launchTemplateVersions"`
}

// Key is a KMS key as DescribeKey describes it, with its aliases.
type Key struct {
	kmstypes.KeyMetadata
	Aliases []string `json:"Aliases"`
}

var regionFields = []string{"ebsEncryptionByDefault", "ebsDefaultKmsKeyId", "keys", "images", "snapshots", "instances", "volumes", "launchTemplateVersions"}

// Load reads a world file.
func Load(path string) (*World, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open world: %w", err)
	}
	defer f.Close()
	w, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("world %s: %w", path, err)
	}
	return w, nil
}

// Parse reads a world document. Unknown keys at the account and Region level
// are errors (they are typos); resource objects may carry any API field.
func Parse(r io.Reader) (*World, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var shape struct {
		Accounts map[string]map[string]map[string]json.RawMessage `json:"accounts"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&shape); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	for acct, regions := range shape.Accounts {
		for region, fields := range regions {
			for k := range fields {
				if !slices.Contains(regionFields, k) {
					return nil, fmt.Errorf("accounts.%s.%s: unknown field %q (want one of %s)", acct, region, k, strings.Join(regionFields, ", "))
				}
			}
		}
	}
	var w World
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	return &w, nil
}

// view returns an account's view of a Region; an account or Region the file
// does not list sees nothing and the defaults.
func (w *World) view(account, region string) *Region {
	if r := w.Accounts[account][region]; r != nil {
		return r
	}
	return &Region{}
}
