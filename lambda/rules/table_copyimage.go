package rules

// Rule IDs of the CopyImage table.
const (
	CopyUnencryptedPlain          = "copy/unencrypted/plain"
	CopyUnencryptedEBD            = "copy/unencrypted/ebd"
	CopyUnencryptedEncrypt        = "copy/unencrypted/encrypt"
	CopyEncryptedOwned            = "copy/encrypted/owned"
	CopyEncryptedOwnedCrossRegion = "copy/encrypted/owned-cross-region"
	CopyEncryptedShared           = "copy/encrypted/shared"
	CopyOutpost                   = "copy/outpost"
	CopyKey                       = "copy/key"
	CopyKeyWithoutEncrypted       = "copy/key-without-encrypted"
	CopyEncryptedDecrypt          = "copy/encrypted/decrypt"
)

var copyImageKind = Kind{
	Op: CopyImage, EventName: "CopyImage", Creates: "snapshot",
	Parent: "AMI", Show: "aws ec2 describe-images --image-ids <parent>",
	Title:           "CopyImage: one row per EBS snapshot of the source AMI",
	Sources:         []SourceState{UnencryptedSource, EncryptedSource},
	Destinations:    []Destination{ToRegion, ToOutpost},
	ReplicaIntended: true,
	table:           copyTable,
}

// copyTable is spec/rules.md "CopyImage: one row per EBS snapshot of the source
// AMI", in the spec's order. Columns: to, source, owned, same Region,
// Encrypted, K, EBD (destination).
var copyTable = []row{
	{id: CopyUnencryptedPlain, when: "unencrypted source, Encrypted absent/false, EBD off", to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: no, then: Unencrypted},
	{id: CopyUnencryptedEBD, when: "unencrypted source, Encrypted absent/false, EBD on", to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: yes, then: DefaultKey},
	{id: CopyUnencryptedEncrypt, when: "unencrypted source, Encrypted=true, no K", to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: isTrue, key: no, ebd: anyTri, then: DefaultKey},
	{id: CopyEncryptedOwned, when: "owned encrypted source, same Region, no K", to: region, source: encrypted, owned: yes, same: yes, enc: absentOrTrue, key: no, ebd: anyTri, then: SourceKey},
	// A KMS key belongs to one Region, so SRC cannot be used in another; this row
	// rests on field reports (see alternatives.go), no AWS page states it.
	{id: CopyEncryptedOwnedCrossRegion, when: "owned encrypted source, other Region, no K", to: region, source: encrypted, owned: yes, same: no, enc: absentOrTrue, key: no, ebd: anyTri, then: DefaultKey},
	{id: CopyEncryptedShared, when: "shared encrypted source, no K", to: region, source: encrypted, owned: no, same: anyTri, enc: absentOrTrue, key: no, ebd: anyTri, then: DefaultKey},
	{id: CopyOutpost, when: "copy to an Outpost, no K", to: outpost, source: encrypted | unencrypted, owned: anyTri, same: anyTri, enc: anyFlag, key: no, ebd: anyTri, except: decryptRequest, then: DefaultKey},
	{id: CopyKey, when: "Encrypted=true and K", to: anyLocation, source: encrypted | unencrypted, owned: anyTri, same: anyTri, enc: isTrue, key: yes, ebd: anyTri, then: RequestKey},
	{id: CopyKeyWithoutEncrypted, when: "K without Encrypted=true", to: anyLocation, source: encrypted | unencrypted, owned: anyTri, same: anyTri, enc: absentOrFalse, key: yes, ebd: anyTri, then: CallFails},
	// A successful record never reaches this row: Predict reads Encrypted=false
	// on an encrypted source as absent (spec/rules.md, the note below the table).
	{id: CopyEncryptedDecrypt, when: "encrypted source, Encrypted=false (a successful call is read as Encrypted absent)", to: anyLocation, source: encrypted, owned: anyTri, same: anyTri, enc: isFalse, key: no, ebd: anyTri, then: CallFails},
}

// decryptRequest is a copy of an encrypted source with Encrypted=false.
func decryptRequest(in Input) bool { return in.Source == EncryptedSource && in.Encrypted == False }
