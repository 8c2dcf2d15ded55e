package rules

// State is the encryption state of a volume or snapshot. KMSKeyARN is empty
// when the resource is unencrypted.
type State struct {
	Encrypted bool   `json:"encrypted"`
	KMSKeyARN string `json:"kmsKeyArn"`
}

// EncryptedWith is the state of a resource encrypted with a key ARN.
func EncryptedWith(arn string) State { return State{Encrypted: true, KMSKeyARN: arn} }

// Keys are the key ARNs a prediction refers to, each resolved by a lookup
// (KMS DescribeKey) in the account and Region of the call. An empty field is
// unknown or not applicable.
type Keys struct {
	Source        string // SRC: the source snapshot's key
	SourceReplica string // SRC's multi-Region replica in the destination Region, if it exists
	Default       string // DEF: the account's default EBS key in the Region
	AWSManaged    string // the AWS managed key alias/aws/ebs in the Region
	Request       string // K: the key the request or its launch template names
	Original      string // ORIG: a root replacement's original root volume key
	// Associated are the source snapshot's associated KMS keys
	// (AssociateKmsKeyId): access paths to the source, accepted as the
	// result's key by the shared rows (alternatives.go).
	Associated []string
	// AssociatedIntended is the source's one associated key when SRC is
	// another account's key the caller cannot describe: then it, not SRC, is
	// the intended key (spec/rules.md, "Associated KMS keys").
	AssociatedIntended string
}

// IsDefault reports whether arn is one of the account's default keys: DEF or
// the AWS managed key.
func (k Keys) IsDefault(arn string) bool {
	return arn != "" && (arn == k.Default || arn == k.AWSManaged)
}
