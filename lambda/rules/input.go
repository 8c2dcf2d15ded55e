package rules

// Flag is a three-valued request parameter: a CloudTrail record either omits
// `encrypted` or sets it to true or false, and EC2 treats omitted differently
// from false.
type Flag uint8

// The values of a Flag.
const (
	Omitted Flag = iota
	True
	False
)

// String returns "absent", "true" or "false".
func (f Flag) String() string {
	switch f {
	case True:
		return "true"
	case False:
		return "false"
	default:
		return "absent"
	}
}

// FlagOf turns an optional bool into a Flag.
func FlagOf(b *bool) Flag {
	switch {
	case b == nil:
		return Omitted
	case *b:
		return True
	default:
		return False
	}
}

// SourceState is the encryption state of what a new volume or snapshot is made from.
type SourceState uint8

// The source states of the decision tables. Empty occurs only for the calls
// that create volumes (RunInstances, CreateVolume).
const (
	EmptySource SourceState = iota
	UnencryptedSource
	EncryptedSource
)

// String names the state as the tables do.
func (s SourceState) String() string {
	switch s {
	case UnencryptedSource:
		return "unencrypted"
	case EncryptedSource:
		return "encrypted"
	default:
		return "empty"
	}
}

// Destination is where a copy (CopyImage, CopySnapshot) is made.
type Destination uint8

// The destinations of a copy.
const (
	ToRegion Destination = iota
	ToOutpost
)

// Input is one row's worth of facts about one resulting volume or snapshot:
// the columns of the decision tables.
type Input struct {
	Op          Op
	Source      SourceState
	Owned       bool // the account owns the source snapshot
	SameRegion  bool // a copy: source and destination Region are the same
	Destination Destination
	Encrypted   Flag
	KeyGiven    bool // the request (or its launch template) names a kmsKeyId
	EBD         bool // encryption by default is on where the resource is created
	// KeyHidden is set when the request names a key that CloudTrail hid
	// (HIDDEN_DUE_TO_SECURITY_REASONS): KeyGiven is set too, K is unknown,
	// and the result is judged against the policy only.
	KeyHidden bool
	// SourceKeyUnknown is set when the source is taken as encrypted but its
	// key cannot be known (an ImportImage snapshot the account cannot
	// describe): SRC is predicted as an unknown key, no key is intended.
	SourceKeyUnknown bool
	// OwnerUnknown is set when neither the source nor the request says who
	// owns the source (CopyVolumes): Owned is then taken as true, and the
	// shared row's keys are accepted as alternatives.
	OwnerUnknown bool
	// Restore and Original are the root replacement's columns
	// (CreateReplaceRootVolumeTask): what the root is restored from, and the
	// encryption state of the original root volume (ORIG).
	Restore  Restore
	Original SourceState
}

// Restore is what a root-volume replacement restores the root from.
type Restore uint8

// The restores of CreateReplaceRootVolumeTask; the zero value is no
// replacement (the other kinds).
const (
	FromLaunchState Restore = iota + 1
	FromSource              // a snapshot, or an AMI's root snapshot
	FromVolume              // an existing volume: no new volume
)
