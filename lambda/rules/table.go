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

// restores is a set of Restore values a row accepts; zero accepts any.
type restores uint8

const (
	fromLaunch = restores(1 << FromLaunchState)
	fromSource = restores(1 << FromSource)
	fromVolume = restores(1 << FromVolume)
)

func (s restores) match(v Restore) bool { return s == 0 || s&(1<<v) != 0 }

// row is one documented row. Columns left at their zero value match anything
// except where noted; every row of the tables below sets each column it has
// explicitly so that a row reads like the spec's.
type row struct {
	id     string
	when   string       // the row's conditions in words, for the documentation
	to     destinations // copies only; the other kinds' rows use region
	source sources
	owned  tri
	same   tri // same Region (CopyImage)
	enc    flags
	key    tri
	ebd    tri
	// restore and orig are the root replacement's columns; zero matches any.
	restore restores
	orig    sources
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
		r.restore.match(in.Restore) &&
		(r.orig == 0 || r.orig.match(in.Original)) &&
		(r.except == nil || !r.except(in))
}
