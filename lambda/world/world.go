// Package world answers EC2, KMS, CloudTrail and Organizations lookups from a
// world file (formats.md §2) instead of AWS, with the SDK v2 signatures and
// the errors the real APIs return, so that the engine runs the same code
// offline.
//
// A *World answers from the file as written: later results (a Region's
// "later" entries) never appear, so replay is deterministic. Live gives the
// evolving view localaws serves, where later results appear after their
// calls or seconds.
package world

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// World is the parsed world file: account ID → Region → that account's view,
// and optionally the organization the accounts belong to.
type World struct {
	Accounts     map[string]map[string]*Region `json:"accounts"`
	Organization *Organization                 `json:"organization,omitempty"`

	// views keeps one EC2 and one KMS view per account and Region, so that
	// a client built around a view (verify's in-process SDK client) is built
	// once.
	views sync.Map
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
	// ImportSnapshotTasks and ImportImageTasks are VM Import tasks, as
	// describe-import-snapshot-tasks and describe-import-image-tasks print
	// one item.
	ImportSnapshotTasks []ec2types.ImportSnapshotTask `json:"importSnapshotTasks,omitempty"`
	ImportImageTasks    []ec2types.ImportImageTask    `json:"importImageTasks,omitempty"`
	// ReplaceRootVolumeTasks are root-volume replacements, as
	// describe-replace-root-volume-tasks prints them (rootreplace.go).
	ReplaceRootVolumeTasks []ec2types.ReplaceRootVolumeTask `json:"replaceRootVolumeTasks,omitempty"`
	// Later lists results that appear only after some describe calls or
	// seconds (see Live); replay never sees them.
	Later []Later `json:"later,omitempty"`
	// Events are CloudTrail records, as CloudTrail writes them, that
	// LookupEvents answers in this account and Region.
	Events []json.RawMessage `json:"events,omitempty"`

	// index answers lookups by ID and filter (index.go).
	index *regionIndex
	// lazy holds the lists loaded lazily (LoadLazy), which are then not in
	// their typed fields (lazy.go).
	lazy *lazyRegion
}

// Later is a change to a Region that holds once both of its conditions do:
// the describe calls that would show one of its objects have been answered
// AfterCalls times with the earlier state, and AfterSeconds have passed since
// the live view started. Its objects then replace the objects with the same
// ID, or are added; Removed IDs (images, snapshots, volumes, instances, root
// volume replacement tasks; never VM Import tasks: NeverRemoved) are gone.
type Later struct {
	AfterCalls   int                 `json:"afterCalls"`
	AfterSeconds float64             `json:"afterSeconds"`
	Images       []ec2types.Image    `json:"images,omitempty"`
	Snapshots    []ec2types.Snapshot `json:"snapshots,omitempty"`
	Volumes      []ec2types.Volume   `json:"volumes,omitempty"`
	Instances    []ec2types.Instance `json:"instances,omitempty"`
	Removed      []string            `json:"removed,omitempty"`
	// Import tasks that change (an import that completes after some polls).
	ImportSnapshotTasks []ec2types.ImportSnapshotTask `json:"importSnapshotTasks,omitempty"`
	ImportImageTasks    []ec2types.ImportImageTask    `json:"importImageTasks,omitempty"`
	// ReplaceRootVolumeTasks replace the tasks of the same ID: a root
	// replacement that succeeds later (rootreplace.go).
	ReplaceRootVolumeTasks []ec2types.ReplaceRootVolumeTask `json:"replaceRootVolumeTasks,omitempty"`
}

// Key is a KMS key as DescribeKey describes it, with its aliases.
type Key struct {
	kmstypes.KeyMetadata
	Aliases []string `json:"Aliases"`
}

// Organization is what Organizations ListAccounts answers: the accounts, as
// the API describes them, to the management account and to delegated
// administrators.
type Organization struct {
	ID                      string             `json:"id"`
	ManagementAccountID     string             `json:"managementAccountId"`
	DelegatedAdministrators []string           `json:"delegatedAdministrators,omitempty"`
	Accounts                []orgtypes.Account `json:"accounts"`
}

var (
	// regionOwnFields and laterOwnFields are the fields of a Region and of
	// a later entry other than the declared lists (lists.go).
	regionOwnFields    = []string{"ebsEncryptionByDefault", "ebsDefaultKmsKeyId", "keys", "later", "events"}
	laterOwnFields     = []string{"afterCalls", "afterSeconds", "removed"}
	organizationFields = []string{"id", "managementAccountId", "delegatedAdministrators", "accounts"}
)

// Load reads a world file; every Region's lists are in its typed fields.
func Load(path string) (*World, error) {
	w, err := LoadLazy(path)
	if err != nil {
		return nil, err
	}
	if err := w.Decode(); err != nil {
		return nil, fmt.Errorf("world %s: parse: %w", path, err)
	}
	return w, nil
}

// LoadLazy reads a world file as Load does, but holds each Region's
// resource lists (images, snapshots, instances, volumes, launch template
// versions, replace-root-volume and import tasks) as the file wrote them:
// each element is checked at load, as Load would decode it, and decoded only
// when a lookup returns it (lazy.go). The world answers every lookup as
// Load's would; its Regions' list fields stay empty until Decode, so code
// that reads them, rather than asking the world's EC2, KMS or Live views,
// calls Decode first. Replay loads its world this way: a world of tens of
// thousands of resources loads in the time it takes to read it.
func LoadLazy(path string) (*World, error) {
	src, err := readSource(path)
	if err != nil {
		return nil, fmt.Errorf("open world: %w", err)
	}
	w, err := parse(src)
	if err != nil {
		return nil, fmt.Errorf("world %s: %w", path, err)
	}
	return w, nil
}

// Parse reads a world document. Unknown keys at the top, account, Region,
// later-entry and organization level are errors (they are typos); resource
// objects may carry any API field.
func Parse(r io.Reader) (*World, error) {
	w, err := ParseLazy(r)
	if err != nil {
		return nil, err
	}
	if err := w.Decode(); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	return w, nil
}

// ParseLazy reads a world document as Parse does, holding the Regions'
// lists as LoadLazy does.
func ParseLazy(r io.Reader) (*World, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return parse(&source{b: b})
}

func parse(src *source) (*World, error) {
	// The source's bytes are read until the end: a mapped file is unmapped
	// once its source is collected (source_linux.go), and only the lists
	// read lazily keep it afterwards.
	defer runtime.KeepAlive(src)
	b := src.b
	shape, ok := fastShape(src)
	if !ok {
		shape = &docShape{}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(shape); err != nil {
			return nil, fmt.Errorf("parse: %w", err)
		}
	}
	if err := known("organization", shape.Organization, organizationFields); err != nil {
		return nil, err
	}
	for acct, regions := range shape.Accounts {
		for region, fields := range regions {
			where := fmt.Sprintf("accounts.%s.%s", acct, region)
			if err := known(where, fields, regionFields()); err != nil {
				return nil, err
			}
			if raw, ok := fields["later"]; ok {
				var entries []map[string]json.RawMessage
				if err := json.Unmarshal(raw, &entries); err != nil {
					return nil, fmt.Errorf("%s.later: %w", where, err)
				}
				for i, e := range entries {
					if err := known(fmt.Sprintf("%s.later[%d]", where, i), e, laterFields()); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	w, err := decodeShape(shape)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	for acct, regions := range w.Accounts {
		for region, r := range regions {
			if r == nil {
				continue
			}
			for i, l := range r.Later {
				if l.AfterCalls < 0 || l.AfterSeconds < 0 {
					return nil, fmt.Errorf("accounts.%s.%s.later[%d]: afterCalls and afterSeconds cannot be negative", acct, region, i)
				}
			}
			for i, ev := range r.Events {
				if _, err := parseEvent(ev); err != nil {
					return nil, fmt.Errorf("accounts.%s.%s.events[%d]: %w", acct, region, i, err)
				}
			}
		}
	}
	return w, nil
}

// regionFields are the names a Region's fields have in the file.
func regionFields() []string {
	out := slices.Clone(regionOwnFields)
	for _, l := range lists {
		out = append(out, l.name())
	}
	return out
}

// laterFields are the names a later entry's fields have in the file.
func laterFields() []string {
	out := slices.Clone(laterOwnFields)
	for _, l := range lists {
		if l.laterInto(&Later{}) != nil {
			out = append(out, l.name())
		}
	}
	return out
}

// known reports a field of an object that is not one of want.
func known(where string, fields map[string]json.RawMessage, want []string) error {
	for k := range fields {
		if !slices.Contains(want, k) {
			return fmt.Errorf("%s: unknown field %q (want one of %s)", where, k, strings.Join(want, ", "))
		}
	}
	return nil
}

// view returns an account's view of a Region as the file states it; an
// account or Region the file does not list sees nothing and the defaults.
func (w *World) view(account, region string) *Region {
	if r := w.Accounts[account][region]; r != nil {
		return r
	}
	return &Region{}
}
