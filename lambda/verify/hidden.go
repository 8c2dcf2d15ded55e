package verify

// HiddenMarker is what CloudTrail writes in place of some key fields. It is
// never a key: in a response it is read as absent (the verdict reads the
// resource itself); in a request it means a key was named but hidden
// (spec/rules.md, CreateVolume; the same for every kind).
const HiddenMarker = "HIDDEN_DUE_TO_SECURITY_REASONS"

// Notes a resource may carry (formats.md §4).
const (
	NoteKeyHidden = "intended key hidden by CloudTrail"
)

// keyHidden reports whether a request's key field is the marker.
func keyHidden(ref string) bool { return ref == HiddenMarker }

// unhide reads a response's key field: the marker is absent.
func unhide(ref string) string {
	if keyHidden(ref) {
		return ""
	}
	return ref
}

// markHidden applies the marker rule to a target whose request named a key:
// the row stays the kind's row with K, K is unknown, and the result is judged
// against the policy only, with a note.
func markHidden(t *target) {
	if t.in.KeyGiven && keyHidden(t.requestKey) {
		t.in.KeyHidden = true
		t.note = NoteKeyHidden
	}
}
