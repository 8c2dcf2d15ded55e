package rules

// Rule IDs of the RunInstances table. They are a contract: verdicts, SNS
// messages and users' filters carry them.
const (
	LaunchEmptyPlain          = "launch/empty/plain"
	LaunchEmptyEBD            = "launch/empty/ebd"
	LaunchEmptyEncrypt        = "launch/empty/encrypt"
	LaunchUnencryptedPlain    = "launch/unencrypted/plain"
	LaunchUnencryptedEBD      = "launch/unencrypted/ebd"
	LaunchUnencryptedEncrypt  = "launch/unencrypted/encrypt"
	LaunchEncryptedOwned      = "launch/encrypted/owned"
	LaunchEncryptedShared     = "launch/encrypted/shared"
	LaunchKey                 = "launch/key"
	LaunchKeyWithoutEncrypted = "launch/key-without-encrypted"
)

var launchKind = Kind{
	Op: RunInstances, EventName: "RunInstances", Creates: "volume",
	Parent: "instance", Show: "aws ec2 describe-volumes --filters Name=attachment.instance-id,Values=<parent>",
	Title:        "RunInstances: one row per EBS volume the launch creates",
	Sources:      []SourceState{EmptySource, UnencryptedSource, EncryptedSource},
	Destinations: []Destination{ToRegion},
	table:        launchTable,
}

// launchTable is spec/rules.md "RunInstances: one row per EBS volume the launch
// creates", in the spec's order. Columns: source, owned, Encrypted, K, EBD.
var launchTable = []row{
	{id: LaunchEmptyPlain, when: "new empty volume, Encrypted absent/false, EBD off", to: region, source: empty, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: no, then: Unencrypted},
	{id: LaunchEmptyEBD, when: "new empty volume, Encrypted absent/false, EBD on", to: region, source: empty, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: yes, then: DefaultKey},
	{id: LaunchEmptyEncrypt, when: "new empty volume, Encrypted=true, no K", to: region, source: empty, owned: anyTri, same: anyTri, enc: isTrue, key: no, ebd: anyTri, then: DefaultKey},
	{id: LaunchUnencryptedPlain, when: "unencrypted snapshot, Encrypted absent/false, EBD off", to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: no, then: Unencrypted},
	{id: LaunchUnencryptedEBD, when: "unencrypted snapshot, Encrypted absent/false, EBD on", to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: yes, then: DefaultKey},
	{id: LaunchUnencryptedEncrypt, when: "unencrypted snapshot, Encrypted=true, no K", to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: isTrue, key: no, ebd: anyTri, then: DefaultKey},
	// The spec's row says "absent or true"; its note adds that Encrypted=false on
	// an encrypted source is treated like absent, so the row takes every flag.
	{id: LaunchEncryptedOwned, when: "encrypted snapshot the account owns, no K", to: region, source: encrypted, owned: yes, same: anyTri, enc: anyFlag, key: no, ebd: anyTri, then: SourceKey},
	{id: LaunchEncryptedShared, when: "encrypted snapshot shared with the account, no K", to: region, source: encrypted, owned: no, same: anyTri, enc: anyFlag, key: no, ebd: anyTri, then: DefaultKey},
	{id: LaunchKey, when: "Encrypted=true and K", to: region, source: anySource, owned: anyTri, same: anyTri, enc: isTrue, key: yes, ebd: anyTri, then: RequestKey},
	{id: LaunchKeyWithoutEncrypted, when: "K without Encrypted=true", to: region, source: anySource, owned: anyTri, same: anyTri, enc: absentOrFalse, key: yes, ebd: anyTri, then: CallFails},
}
