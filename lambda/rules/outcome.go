package rules

// Outcome is what a decision table row says the new resource gets.
type Outcome uint8

// The outcomes of the tables.
const (
	Unencrypted   Outcome = iota // no encryption
	SourceKey                    // SRC: the source snapshot's key
	DefaultKey                   // DEF: the account's default EBS key in the Region of the call
	RequestKey                   // K: the key the request names
	AWSManagedKey                // the AWS managed key alias/aws/ebs of the Region of the call
	CallFails                    // EC2 rejects the request
	OriginalKey                  // ORIG: the key of the instance's original root volume
	NoNewResult                  // no new volume or snapshot (a root swapped for an existing volume)
)

// String describes the outcome in the tables' words.
func (o Outcome) String() string {
	switch o {
	case SourceKey:
		return "encrypted with SRC"
	case DefaultKey:
		return "encrypted with DEF"
	case RequestKey:
		return "encrypted with K"
	case AWSManagedKey:
		return "encrypted with the AWS managed key (alias/aws/ebs)"
	case CallFails:
		return "the call fails"
	case OriginalKey:
		return "encrypted with ORIG"
	case NoNewResult:
		return "no new volume: skipped (no-new-volume)"
	default:
		return "unencrypted"
	}
}
