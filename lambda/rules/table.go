package rules

// tri matches a yes/no column: either value, or one of them.
type tri uint8

const (
	anyTri tri = iota
	yes
	no
)

func (t tri) match(b bool) bool { return t == anyTri || (t == yes) == b }

// flags is a set of Flag values a row accepts.
type flags uint8

const (
	absent        = flags(1 << Omitted)
	isTrue        = flags(1 << True)
	isFalse       = flags(1 << False)
	absentOrFalse = absent | isFalse
	absentOrTrue  = absent | isTrue
	anyFlag       = absent | isTrue | isFalse
)

func (s flags) match(f Flag) bool { return s&(1<<f) != 0 }

// sources is a set of SourceState values a row accepts.
type sources uint8

const (
	empty       = sources(1 << EmptySource)
	unencrypted = sources(1 << UnencryptedSource)
	encrypted   = sources(1 << EncryptedSource)
	anySource   = empty | unencrypted | encrypted
)

func (s sources) match(v SourceState) bool { return s&(1<<v) != 0 }

// destinations is a set of Destination values a row accepts.
type destinations uint8

const (
	region      = destinations(1 << ToRegion)
	outpost     = destinations(1 << ToOutpost)
	anyLocation = region | outpost
)

func (s destinations) match(v Destination) bool { return s&(1<<v) != 0 }

// row is one documented row. Columns left at their zero value match anything
// except where noted; every row of the tables below sets each column it has
// explicitly so that a row reads like the spec's.
type row struct {
	id     string
	to     destinations // CopyImage only; RunInstances rows use region
	source sources
	owned  tri
	same   tri // same Region (CopyImage)
	enc    flags
	key    tri
	ebd    tri
	// except excludes combinations a documented row words as an exception,
	// e.g. copy/outpost's "any, except false on an encrypted source".
	except func(Input) bool
	then   Outcome
}

func (r row) match(in Input) bool {
	return r.to.match(in.Destination) &&
		r.source.match(in.Source) &&
		r.owned.match(in.Owned) &&
		r.same.match(in.SameRegion) &&
		r.enc.match(in.Encrypted) &&
		r.key.match(in.KeyGiven) &&
		r.ebd.match(in.EBD) &&
		(r.except == nil || !r.except(in))
}

// launchTable is spec/rules.md "RunInstances: one row per EBS volume the launch
// creates", in the spec's order. Columns: source, owned, Encrypted, K, EBD.
var launchTable = []row{
	{id: LaunchEmptyPlain, to: region, source: empty, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: no, then: Unencrypted},
	{id: LaunchEmptyEBD, to: region, source: empty, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: yes, then: DefaultKey},
	{id: LaunchEmptyEncrypt, to: region, source: empty, owned: anyTri, same: anyTri, enc: isTrue, key: no, ebd: anyTri, then: DefaultKey},
	{id: LaunchUnencryptedPlain, to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: no, then: Unencrypted},
	{id: LaunchUnencryptedEBD, to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: yes, then: DefaultKey},
	{id: LaunchUnencryptedEncrypt, to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: isTrue, key: no, ebd: anyTri, then: DefaultKey},
	// The spec's row says "absent or true"; its note adds that Encrypted=false on
	// an encrypted source is treated like absent, so the row takes every flag.
	{id: LaunchEncryptedOwned, to: region, source: encrypted, owned: yes, same: anyTri, enc: anyFlag, key: no, ebd: anyTri, then: SourceKey},
	{id: LaunchEncryptedShared, to: region, source: encrypted, owned: no, same: anyTri, enc: anyFlag, key: no, ebd: anyTri, then: DefaultKey},
	{id: LaunchKey, to: region, source: anySource, owned: anyTri, same: anyTri, enc: isTrue, key: yes, ebd: anyTri, then: RequestKey},
	{id: LaunchKeyWithoutEncrypted, to: region, source: anySource, owned: anyTri, same: anyTri, enc: absentOrFalse, key: yes, ebd: anyTri, then: CallFails},
}

// copyTable is spec/rules.md "CopyImage: one row per EBS snapshot of the source
// AMI", in the spec's order. Columns: to, source, owned, same Region,
// Encrypted, K, EBD (destination).
var copyTable = []row{
	{id: CopyUnencryptedPlain, to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: no, then: Unencrypted},
	{id: CopyUnencryptedEBD, to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: absentOrFalse, key: no, ebd: yes, then: DefaultKey},
	{id: CopyUnencryptedEncrypt, to: region, source: unencrypted, owned: anyTri, same: anyTri, enc: isTrue, key: no, ebd: anyTri, then: DefaultKey},
	{id: CopyEncryptedOwned, to: region, source: encrypted, owned: yes, same: yes, enc: absentOrTrue, key: no, ebd: anyTri, then: SourceKey},
	// A KMS key belongs to one Region, so SRC cannot be used in another; this row
	// rests on field reports (see alternatives.go), no AWS page states it.
	{id: CopyEncryptedOwnedCrossRegion, to: region, source: encrypted, owned: yes, same: no, enc: absentOrTrue, key: no, ebd: anyTri, then: DefaultKey},
	{id: CopyEncryptedShared, to: region, source: encrypted, owned: no, same: anyTri, enc: absentOrTrue, key: no, ebd: anyTri, then: DefaultKey},
	{id: CopyOutpost, to: outpost, source: encrypted | unencrypted, owned: anyTri, same: anyTri, enc: anyFlag, key: no, ebd: anyTri, except: decryptRequest, then: DefaultKey},
	{id: CopyKey, to: anyLocation, source: encrypted | unencrypted, owned: anyTri, same: anyTri, enc: isTrue, key: yes, ebd: anyTri, then: RequestKey},
	{id: CopyKeyWithoutEncrypted, to: anyLocation, source: encrypted | unencrypted, owned: anyTri, same: anyTri, enc: absentOrFalse, key: yes, ebd: anyTri, then: CallFails},
	{id: CopyEncryptedDecrypt, to: anyLocation, source: encrypted, owned: anyTri, same: anyTri, enc: isFalse, key: no, ebd: anyTri, then: CallFails},
}

// decryptRequest is a copy of an encrypted source with Encrypted=false.
func decryptRequest(in Input) bool { return in.Source == EncryptedSource && in.Encrypted == False }

// tableFor returns the decision table of an operation.
func tableFor(op Op) []row {
	if op == CopyImage {
		return copyTable
	}
	return launchTable
}
