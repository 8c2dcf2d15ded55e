package rules

// KeyRole names one of the keys a prediction refers to.
type KeyRole uint8

// The keys of Keys.
const (
	SourceKeyRole KeyRole = 1 << iota
	DefaultKeyRole
	AWSManagedKeyRole
	RequestKeyRole
	OriginalKeyRole
)

// String names the role as the tables do.
func (r KeyRole) String() string {
	switch r {
	case SourceKeyRole:
		return "SRC"
	case DefaultKeyRole:
		return "DEF"
	case AWSManagedKeyRole:
		return "AWS managed key"
	case RequestKeyRole:
		return "K"
	case OriginalKeyRole:
		return "ORIG"
	default:
		return "no key"
	}
}

// ARN returns the key of a role.
func (k Keys) ARN(role KeyRole) string {
	switch role {
	case SourceKeyRole:
		return k.Source
	case DefaultKeyRole:
		return k.Default
	case AWSManagedKeyRole:
		return k.AWSManaged
	case RequestKeyRole:
		return k.Request
	case OriginalKeyRole:
		return k.Original
	default:
		return ""
	}
}

// KeyNeed is a set of key roles.
type KeyNeed uint8

// Has reports whether the set holds a role.
func (n KeyNeed) Has(r KeyRole) bool { return n&KeyNeed(r) != 0 }

// Roles lists the roles of the set, in the order of Keys' fields.
func (n KeyNeed) Roles() []KeyRole {
	var out []KeyRole
	for _, r := range []KeyRole{SourceKeyRole, DefaultKeyRole, AWSManagedKeyRole, RequestKeyRole, OriginalKeyRole} {
		if n.Has(r) {
			out = append(out, r)
		}
	}
	return out
}

// KeysNeeded returns the keys that Predict and Judge read for an input: the
// key the row's outcome names, those its alternatives name, the intended key,
// and the account's default keys when a fall-back onto them can be judged
// (some key is intended). A key outside the set need not be looked up, and
// one that cannot be found only matters if the row needs it.
func KeysNeeded(in Input) (KeyNeed, error) {
	d, err := Decide(succeeded(in))
	if err != nil {
		return 0, err
	}
	var n KeyNeed
	if role := outcomeRole(d.Outcome); role != 0 {
		n |= KeyNeed(role)
	}
	for _, role := range alternativeRoles(d, in) {
		n |= KeyNeed(role)
	}
	switch {
	case in.KeyGiven:
		n |= KeyNeed(RequestKeyRole | DefaultKeyRole | AWSManagedKeyRole)
	case in.Original == EncryptedSource:
		n |= KeyNeed(OriginalKeyRole | DefaultKeyRole | AWSManagedKeyRole)
	case in.Source == EncryptedSource:
		n |= KeyNeed(SourceKeyRole | DefaultKeyRole | AWSManagedKeyRole)
	}
	return n, nil
}

// outcomeRole is the key an outcome names, or 0.
func outcomeRole(o Outcome) KeyRole {
	switch o {
	case SourceKey:
		return SourceKeyRole
	case DefaultKey:
		return DefaultKeyRole
	case RequestKey:
		return RequestKeyRole
	case AWSManagedKey:
		return AWSManagedKeyRole
	case OriginalKey:
		return OriginalKeyRole
	default:
		return 0
	}
}
