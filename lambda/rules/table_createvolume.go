package rules

// Rule IDs of the CreateVolume table.
const (
	VolumeEmptyPlain          = "volume/empty/plain"
	VolumeEmptyEBD            = "volume/empty/ebd"
	VolumeEmptyEncrypt        = "volume/empty/encrypt"
	VolumeUnencryptedPlain    = "volume/unencrypted/plain"
	VolumeUnencryptedEBD      = "volume/unencrypted/ebd"
	VolumeUnencryptedEncrypt  = "volume/unencrypted/encrypt"
	VolumeEncryptedOwned      = "volume/encrypted/owned"
	VolumeEncryptedShared     = "volume/encrypted/shared"
	VolumeKey                 = "volume/key"
	VolumeKeyWithoutEncrypted = "volume/key-without-encrypted"
)

var createVolumeKind = Kind{
	Op: CreateVolume, EventName: "CreateVolume", Creates: "volume",
	Parent: "", Show: "aws ec2 describe-volumes --volume-ids <parent>",
	Title:        "CreateVolume: the one volume it creates",
	Sources:      []SourceState{EmptySource, UnencryptedSource, EncryptedSource},
	Destinations: []Destination{ToRegion},
	table:        volumeTable,
}

// volumeTable is spec/rules.md "CreateVolume: the one volume it creates", in
// the spec's order: the RunInstances table applied to one volume. Columns:
// source snapshot, owned, Encrypted, K, EBD. A volume from an encrypted
// snapshot is always encrypted, so those rows take every flag.
var volumeTable = []row{
	{id: VolumeEmptyPlain, when: "no snapshot, Encrypted absent/false, EBD off", to: region, source: empty, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: no, then: Unencrypted},
	{id: VolumeEmptyEBD, when: "no snapshot, Encrypted absent/false, EBD on", to: region, source: empty, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: yes, then: DefaultKey},
	{id: VolumeEmptyEncrypt, when: "no snapshot, Encrypted=true, no K", to: region, source: empty, owned: anyTri, same: anyTri, enc: isTrue, key: no, ebd: anyTri, then: DefaultKey},
	{id: VolumeUnencryptedPlain, when: "unencrypted snapshot, Encrypted absent/false, EBD off", to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: no, then: Unencrypted},
	{id: VolumeUnencryptedEBD, when: "unencrypted snapshot, Encrypted absent/false, EBD on", to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: yes, then: DefaultKey},
	{id: VolumeUnencryptedEncrypt, when: "unencrypted snapshot, Encrypted=true, no K", to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: isTrue, key: no, ebd: anyTri, then: DefaultKey},
	{id: VolumeEncryptedOwned, when: "encrypted snapshot the account owns, no K", to: region, source: encrypted, owned: yes, same: anyTri, enc: anyFlag, key: no, ebd: anyTri, then: SourceKey},
	{id: VolumeEncryptedShared, when: "encrypted snapshot shared with the account, no K", to: region, source: encrypted, owned: no, same: anyTri, enc: anyFlag, key: no, ebd: anyTri, then: DefaultKey},
	{id: VolumeKey, when: "Encrypted=true and K", to: region, source: anySource, owned: anyTri, same: anyTri, enc: isTrue, key: yes, ebd: anyTri, then: RequestKey},
	{id: VolumeKeyWithoutEncrypted, when: "K without Encrypted=true", to: region, source: anySource, owned: anyTri, same: anyTri, enc: absentOrFalse, key: yes, ebd: anyTri, then: CallFails},
}
