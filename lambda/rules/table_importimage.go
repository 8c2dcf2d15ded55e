package rules

// Rule IDs of the ImportImage table.
const (
	ImageimportPlain               = "imageimport/plain"
	ImageimportEBD                 = "imageimport/ebd"
	ImageimportEncrypt             = "imageimport/encrypt"
	ImageimportEncryptedSnapshot   = "imageimport/encrypted-snapshot"
	ImageimportKey                 = "imageimport/key"
	ImageimportKeyWithoutEncrypted = "imageimport/key-without-encrypted"
)

var importImageKind = Kind{
	Op: ImportImage, EventName: "ImportImage", Creates: "snapshot",
	Parent: "AMI", Show: "aws ec2 describe-import-image-tasks",
	Title:        "ImportImage: one row per snapshot of the imported AMI",
	Sources:      []SourceState{EmptySource, UnencryptedSource, EncryptedSource},
	Destinations: []Destination{ToRegion},
	table:        imageimportTable,
}

// imageimportTable is spec/rules.md "ImportImage: one row per snapshot of
// the imported AMI", in the spec's order. Columns: disk container (a disk
// image is EmptySource; an EBS snapshot is unencrypted or encrypted),
// Encrypted, K, EBD. As for ImportSnapshot, key-without-encrypted is reported
// by the task, so a record without errorCode is judged against K.
var imageimportTable = []row{
	{id: ImageimportPlain, when: "disk image or unencrypted EBS snapshot, Encrypted absent/false, no K, EBD off (inferred)", to: region, source: empty | unencrypted, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: no, then: Unencrypted},
	{id: ImageimportEBD, when: "disk image or unencrypted EBS snapshot, Encrypted absent/false, no K, EBD on (inferred)", to: region, source: empty | unencrypted, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: yes, then: DefaultKey},
	{id: ImageimportEncrypt, when: "disk image or unencrypted EBS snapshot, Encrypted=true, no K", to: region, source: empty | unencrypted, owned: anyTri, same: anyTri, enc: isTrue, key: no, ebd: anyTri, then: DefaultKey},
	{id: ImageimportEncryptedSnapshot, when: "encrypted EBS snapshot, no K (undocumented: SRC predicted, DEF and aws/ebs accepted)", to: region, source: encrypted, owned: anyTri, same: anyTri, enc: anyFlag, key: no, ebd: anyTri, then: SourceKey},
	{id: ImageimportKey, when: "Encrypted=true and K", to: region, source: anySource, owned: anyTri, same: anyTri, enc: isTrue, key: yes, ebd: anyTri, then: RequestKey},
	{id: ImageimportKeyWithoutEncrypted, when: "K without Encrypted=true (documented to fail; the task reports it, a completed one is judged against K)", to: region, source: anySource, owned: anyTri, same: anyTri, enc: absentOrFalse, key: yes, ebd: anyTri, then: RequestKey},
}
