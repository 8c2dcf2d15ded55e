package rules

// Rule IDs of the StartSnapshot (EBS direct APIs) table.
const (
	DirectsnapNewPlain         = "directsnap/new/plain"
	DirectsnapNewEBD           = "directsnap/new/ebd"
	DirectsnapNewFalseEBD      = "directsnap/new/false-ebd"
	DirectsnapNewEncrypt       = "directsnap/new/encrypt"
	DirectsnapNewKey           = "directsnap/new/key"
	DirectsnapNewFalseKey      = "directsnap/new/false-key"
	DirectsnapParentPlainPlain = "directsnap/parent-plain/plain"
	DirectsnapParentPlainOther = "directsnap/parent-plain/other"
	DirectsnapParentEncInherit = "directsnap/parent-enc/inherit"
	DirectsnapParentEncOther   = "directsnap/parent-enc/other"
)

// startSnapshotKind: the source is the parent snapshot (parentSnapshotId),
// EmptySource when there is none; SRC is PARENT.
var startSnapshotKind = Kind{
	Op: StartSnapshot, EventName: "StartSnapshot", EventSource: EBSSource, Creates: "snapshot",
	Parent: "", Show: "aws ec2 describe-snapshots --snapshot-ids <parent>",
	Title:        "StartSnapshot (EBS direct APIs): the one snapshot it starts",
	Sources:      []SourceState{EmptySource, UnencryptedSource, EncryptedSource},
	Destinations: []Destination{ToRegion},
	// The EBS direct APIs document that Encrypted=false on an encrypted
	// parent fails (directsnap/parent-enc/other).
	DecryptFails: true,
	table:        startSnapshotTable,
}

// startSnapshotTable is spec/rules.md "StartSnapshot (EBS direct APIs)", in the
// spec's order. Columns: parent snapshot (the source), Encrypted, K
// (kmsKeyArn), EBD. Unlike CreateVolume, K without Encrypted succeeds.
var startSnapshotTable = []row{
	{id: DirectsnapNewPlain, when: "no parent, Encrypted absent/false, no K, EBD off", to: region, source: empty, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: no, then: Unencrypted},
	{id: DirectsnapNewEBD, when: "no parent, Encrypted absent, no K, EBD on", to: region, source: empty, owned: anyTri, same: anyTri, enc: absent, key: no, ebd: yes, then: DefaultKey},
	{id: DirectsnapNewFalseEBD, when: "no parent, Encrypted=false, no K, EBD on", to: region, source: empty, owned: anyTri, same: anyTri, enc: isFalse, key: no, ebd: yes, then: CallFails},
	{id: DirectsnapNewEncrypt, when: "no parent, Encrypted=true, no K", to: region, source: empty, owned: anyTri, same: anyTri, enc: isTrue, key: no, ebd: anyTri, then: DefaultKey},
	{id: DirectsnapNewKey, when: "no parent, Encrypted absent/true, K", to: region, source: empty, owned: anyTri, same: anyTri, enc: absentOrTrue, key: yes, ebd: anyTri, then: RequestKey},
	{id: DirectsnapNewFalseKey, when: "no parent, Encrypted=false, K", to: region, source: empty, owned: anyTri, same: anyTri, enc: isFalse, key: yes, ebd: anyTri, then: CallFails},
	{id: DirectsnapParentPlainPlain, when: "unencrypted parent, Encrypted absent, no K, EBD off", to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: absent, key: no, ebd: no, then: Unencrypted},
	// Documented, except with K and EBD off (inferred).
	{id: DirectsnapParentPlainOther, when: "unencrypted parent, any other combination", to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: anyFlag, key: anyTri, ebd: anyTri,
		except: func(in Input) bool { return in.Encrypted == Omitted && !in.KeyGiven && !in.EBD }, then: CallFails},
	{id: DirectsnapParentEncInherit, when: "encrypted parent, Encrypted absent, no K", to: region, source: encrypted, owned: anyTri, same: anyTri, enc: absent, key: no, ebd: anyTri, then: SourceKey},
	{id: DirectsnapParentEncOther, when: "encrypted parent, Encrypted true or false, or K", to: region, source: encrypted, owned: anyTri, same: anyTri, enc: anyFlag, key: anyTri, ebd: anyTri,
		except: func(in Input) bool { return in.Encrypted == Omitted && !in.KeyGiven }, then: CallFails},
}
