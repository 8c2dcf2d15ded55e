package rules

// Rule IDs of the CopyVolumes table.
const (
	VolcopyUnencryptedPlain   = "volcopy/unencrypted/plain"
	VolcopyUnencryptedEBD     = "volcopy/unencrypted/ebd"
	VolcopyUnencryptedEncrypt = "volcopy/unencrypted/encrypt"
	VolcopyEncryptedOwned     = "volcopy/encrypted/owned"
	VolcopyEncryptedShared    = "volcopy/encrypted/shared"
	VolcopyKey                = "volcopy/key"
	VolcopyUnencryptedKeyOnly = "volcopy/unencrypted/key-only"
)

var copyVolumesKind = Kind{
	Op: CopyVolumes, EventName: "CopyVolumes", Creates: "volume",
	Parent: "", Show: "aws ec2 describe-volumes --volume-ids <parent>",
	Title:        "CopyVolumes: the one volume it copies",
	Sources:      []SourceState{UnencryptedSource, EncryptedSource},
	Destinations: []Destination{ToRegion},
	table:        volcopyTable,
}

// volcopyTable is spec/rules.md "CopyVolumes: the one volume it copies", in
// the spec's order. Columns: source volume, owned, Encrypted, K, EBD. The
// source is a volume, not a snapshot; "owned" is the source volume's OwnerId.
// An encrypted source always gives an encrypted copy ("the service always
// encrypts the copy regardless of this value"), so its rows take every flag;
// with K, an encrypted source needs no Encrypted=true (the guide's
// re-encryption example passes only --kms-key-id). There is no
// key-without-encrypted failure row: no page says such a call fails.
var volcopyTable = []row{
	{id: VolcopyUnencryptedPlain, when: "unencrypted source volume, Encrypted absent/false, EBD off", to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: no, then: Unencrypted},
	{id: VolcopyUnencryptedEBD, when: "unencrypted source volume, Encrypted absent/false, EBD on", to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: yes, then: DefaultKey},
	{id: VolcopyUnencryptedEncrypt, when: "unencrypted source volume, Encrypted=true, no K", to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: isTrue, key: no, ebd: anyTri, then: DefaultKey},
	{id: VolcopyEncryptedOwned, when: "encrypted source volume the account owns, no K", to: region, source: encrypted, owned: yes, same: anyTri, enc: anyFlag, key: no, ebd: anyTri, then: SourceKey},
	{id: VolcopyEncryptedShared, when: "encrypted source volume shared with the account (AWS RAM), no K", to: region, source: encrypted, owned: no, same: anyTri, enc: anyFlag, key: no, ebd: anyTri, then: DefaultKey},
	{id: VolcopyKey, when: "K, with Encrypted=true or an encrypted source", to: region, source: encrypted | unencrypted, owned: anyTri, same: anyTri, enc: anyFlag, key: yes, ebd: anyTri,
		except: func(in Input) bool { return in.Source == UnencryptedSource && in.Encrypted != True }, then: RequestKey},
	{id: VolcopyUnencryptedKeyOnly, when: "unencrypted source volume, K without Encrypted=true (undocumented)", to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: absentOrFalse, key: yes, ebd: anyTri, then: RequestKey},
}
