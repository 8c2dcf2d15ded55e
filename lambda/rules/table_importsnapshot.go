package rules

// Rule IDs of the ImportSnapshot table.
const (
	SnapimportPlain               = "snapimport/plain"
	SnapimportEBD                 = "snapimport/ebd"
	SnapimportEncrypt             = "snapimport/encrypt"
	SnapimportKey                 = "snapimport/key"
	SnapimportKeyWithoutEncrypted = "snapimport/key-without-encrypted"
)

var importSnapshotKind = Kind{
	Op: ImportSnapshot, EventName: "ImportSnapshot", Creates: "snapshot",
	Parent: "", Show: "aws ec2 describe-import-snapshot-tasks",
	Title:        "ImportSnapshot: the one snapshot it imports",
	Sources:      []SourceState{EmptySource},
	Destinations: []Destination{ToRegion},
	table:        snapimportTable,
}

// snapimportTable is spec/rules.md "ImportSnapshot: the one snapshot it
// imports", in the spec's order. Columns: Encrypted, K, EBD; the source is a
// disk image (EmptySource: no SRC, nothing owned or shared).
//
// snapimport/key-without-encrypted is documented to fail, but VM Import parses
// the key asynchronously and reports the failure through the import task: a
// record without errorCode is followed to its task and, if the task
// completes, judged against K. So the row predicts K, never "the call fails".
var snapimportTable = []row{
	{id: SnapimportPlain, when: "Encrypted absent/false, no K, EBD off (inferred)", to: region, source: empty, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: no, then: Unencrypted},
	{id: SnapimportEBD, when: "Encrypted absent/false, no K, EBD on (inferred)", to: region, source: empty, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: yes, then: DefaultKey},
	{id: SnapimportEncrypt, when: "Encrypted=true, no K", to: region, source: empty, owned: anyTri, same: anyTri, enc: isTrue, key: no, ebd: anyTri, then: DefaultKey},
	{id: SnapimportKey, when: "Encrypted=true and K", to: region, source: empty, owned: anyTri, same: anyTri, enc: isTrue, key: yes, ebd: anyTri, then: RequestKey},
	{id: SnapimportKeyWithoutEncrypted, when: "K without Encrypted=true (documented to fail; the task reports it, a completed one is judged against K)", to: region, source: empty, owned: anyTri, same: anyTri, enc: absentOrFalse, key: yes, ebd: anyTri, then: RequestKey},
}
