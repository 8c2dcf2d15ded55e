package rules

import "fmt"

// Op is the API call that creates the volumes or snapshots. The zero Op is
// no call at all: every Op in use is registered in kinds.
type Op uint8

// The calls the guardrail covers, one per kind.
const (
	RunInstances Op = iota + 1
	CopyImage
	CreateVolume
	CopySnapshot
	CopyVolumes
	ImportSnapshot
	ImportImage
	StartSnapshot
	CreateReplaceRootVolumeTask
)

// Kind is one event kind as the rules see it: the CloudTrail event that
// announces it, what it creates, and its decision table.
type Kind struct {
	Op Op
	// EventName is the CloudTrail eventName (and the EventBridge pattern's).
	EventName string
	// EventSource is the CloudTrail eventSource of the call; "" is
	// ec2.amazonaws.com (EC2Source). The EBS direct APIs log ebs.amazonaws.com,
	// which EventBridge delivers with source aws.ebs.
	EventSource string
	// Creates names what one row of the table is about: "volume" or "snapshot".
	Creates string
	// Parent names what a result belongs to, when the call creates several
	// ("instance", "AMI"); "" when it creates one resource, which is its own
	// parent (formats.md §4).
	Parent string
	// Show is the AWS CLI command that shows a result, for a person checking
	// one that was not visible yet; <parent> stands for the result's parent.
	Show string
	// Title heads the kind's table in the documentation.
	Title string
	// Sources and Destinations are the values the table's columns take for
	// this kind: every combination of them matches exactly one row.
	Sources      []SourceState
	Destinations []Destination
	// Restores and Originals are the values of the root-replacement table's
	// extra columns (CreateReplaceRootVolumeTask); nil for the other kinds.
	Restores  []Restore
	Originals []SourceState
	// ReplicaIntended is set when, for an owned encrypted source copied to
	// another Region, the intended key is SRC's multi-Region replica in the
	// destination (spec/rules.md, below copy/encrypted/owned-cross-region).
	ReplicaIntended bool
	// DecryptFails is set when AWS documents that Encrypted=false on an
	// encrypted source fails the call, so that the flag is not read as
	// absent (succeeded, in predict.go).
	DecryptFails bool
	table        []row
}

// kinds is the registry: the engine, replay, the Lambda, the EventBridge
// pattern, the documentation and the sample tests take their list of kinds
// from here. Each entry is defined with its table in table_<kind>.go.
var kinds = []Kind{launchKind, copyImageKind, createVolumeKind, copySnapshotKind, copyVolumesKind, importSnapshotKind, importImageKind, startSnapshotKind, replaceRootKind}

// Event sources of the calls (CloudTrail eventSource).
const (
	EC2Source = "ec2.amazonaws.com"
	EBSSource = "ebs.amazonaws.com"
)

// Source returns the CloudTrail eventSource of the kind's call.
func (k Kind) Source() string {
	if k.EventSource == "" {
		return EC2Source
	}
	return k.EventSource
}

// Kinds returns every kind, in the registry's order.
func Kinds() []Kind { return append([]Kind(nil), kinds...) }

// KindOf returns the kind of an operation.
func KindOf(op Op) (Kind, bool) {
	for _, k := range kinds {
		if k.Op == op {
			return k, true
		}
	}
	return Kind{}, false
}

// KindByEvent returns the kind a CloudTrail event name announces.
func KindByEvent(eventName string) (Kind, bool) {
	for _, k := range kinds {
		if k.EventName == eventName {
			return k, true
		}
	}
	return Kind{}, false
}

// EventNames lists the CloudTrail events of every kind, then the settings
// calls (table_settings.go): every event the guardrail evaluates.
func EventNames() []string {
	out := make([]string, 0, len(kinds)+len(settingChanges))
	for _, k := range kinds {
		out = append(out, k.EventName)
	}
	for _, c := range settingChanges {
		out = append(out, c.EventName)
	}
	return out
}

// String returns the CloudTrail event name of the call.
func (o Op) String() string {
	if k, ok := KindOf(o); ok {
		return k.EventName
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// RuleIDs lists the rule IDs of the kind's table in the spec's order.
func (k Kind) RuleIDs() []string {
	ids := make([]string, len(k.table))
	for i, r := range k.table {
		ids[i] = r.id
	}
	return ids
}

// RowDoc is one row of a kind's table as the documentation shows it.
type RowDoc struct {
	RuleID string
	When   string
	Result string
}

// Rows documents the kind's table, row by row, in the spec's order.
func (k Kind) Rows() []RowDoc {
	out := make([]RowDoc, len(k.table))
	for i, r := range k.table {
		out[i] = RowDoc{RuleID: r.id, When: r.when, Result: r.then.String()}
	}
	return out
}

// Inputs lists every combination of the values the kind's table columns
// take: what a totality check or a coverage check walks through.
func (k Kind) Inputs() []Input {
	var out []Input
	bools := []bool{false, true}
	restores, originals := k.Restores, k.Originals
	if restores == nil {
		restores = []Restore{0}
	}
	if originals == nil {
		originals = []SourceState{EmptySource}
	}
	for _, s := range k.Sources {
		for _, d := range k.Destinations {
			for _, f := range []Flag{Omitted, True, False} {
				for _, owned := range bools {
					for _, same := range bools {
						for _, key := range bools {
							for _, ebd := range bools {
								for _, rs := range restores {
									for _, o := range originals {
										out = append(out, Input{Op: k.Op, Source: s, Destination: d, Encrypted: f, Owned: owned, SameRegion: same, KeyGiven: key, EBD: ebd, Restore: rs, Original: o})
									}
								}
							}
						}
					}
				}
			}
		}
	}
	return out
}
