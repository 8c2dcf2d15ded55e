package rules

// Rule IDs of the CopySnapshot table.
const (
	SnapcopyUnencryptedPlain    = "snapcopy/unencrypted/plain"
	SnapcopyUnencryptedEBD      = "snapcopy/unencrypted/ebd"
	SnapcopyUnencryptedEncrypt  = "snapcopy/unencrypted/encrypt"
	SnapcopyEncryptedPlain      = "snapcopy/encrypted/plain"
	SnapcopyEncryptedEBD        = "snapcopy/encrypted/ebd"
	SnapcopyOutpost             = "snapcopy/outpost"
	SnapcopyKey                 = "snapcopy/key"
	SnapcopyKeyWithoutEncrypted = "snapcopy/key-without-encrypted"
)

var copySnapshotKind = Kind{
	Op: CopySnapshot, EventName: "CopySnapshot", Creates: "snapshot",
	Parent: "", Show: "aws ec2 describe-snapshots --snapshot-ids <parent>",
	Title:        "CopySnapshot: the one snapshot it creates",
	Sources:      []SourceState{UnencryptedSource, EncryptedSource},
	Destinations: []Destination{ToRegion, ToOutpost},
	table:        snapcopyTable,
}

// snapcopyTable is spec/rules.md "CopySnapshot: the one snapshot it creates",
// in the spec's order. Columns: to, source snapshot, Encrypted, K, EBD
// (destination). The EBS guide's snapshot-copy section does not distinguish
// owned from shared or same from cross-Region sources, so neither is a column;
// an encrypted source always gives an encrypted copy, so its rows take every
// flag.
var snapcopyTable = []row{
	{id: SnapcopyUnencryptedPlain, when: "unencrypted source, Encrypted absent/false, EBD off", to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: no, then: Unencrypted},
	{id: SnapcopyUnencryptedEBD, when: "unencrypted source, Encrypted absent/false, EBD on", to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: yes, then: DefaultKey},
	{id: SnapcopyUnencryptedEncrypt, when: "unencrypted source, Encrypted=true, no K", to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: isTrue, key: no, ebd: anyTri, then: DefaultKey},
	{id: SnapcopyEncryptedPlain, when: "encrypted source, no K, EBD off", to: region, source: encrypted, owned: anyTri, same: anyTri, enc: anyFlag, key: no, ebd: no, then: AWSManagedKey},
	{id: SnapcopyEncryptedEBD, when: "encrypted source, no K, EBD on", to: region, source: encrypted, owned: anyTri, same: anyTri, enc: anyFlag, key: no, ebd: yes, then: DefaultKey},
	{id: SnapcopyOutpost, when: "copy to an Outpost, no K", to: outpost, source: encrypted | unencrypted, owned: anyTri, same: anyTri, enc: anyFlag, key: no, ebd: anyTri, then: DefaultKey},
	{id: SnapcopyKey, when: "Encrypted=true and K", to: anyLocation, source: encrypted | unencrypted, owned: anyTri, same: anyTri, enc: isTrue, key: yes, ebd: anyTri, then: RequestKey},
	{id: SnapcopyKeyWithoutEncrypted, when: "K without Encrypted=true", to: anyLocation, source: encrypted | unencrypted, owned: anyTri, same: anyTri, enc: absentOrFalse, key: yes, ebd: anyTri, then: CallFails},
}
