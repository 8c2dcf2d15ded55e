package capture

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	ct "github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// EncodeWorld writes a world file: the API field names as the SDK types
// carry them, indented, without the fields AWS did not answer (null, or the
// empty value of an enumeration, which the SDK types hold as a plain string);
// with a redactor, redacted.
func EncodeWorld(w *world.World, red *Redactor) ([]byte, error) {
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode world: %w", err)
	}
	v, err := generic(b)
	if err != nil {
		return nil, err
	}
	v = dropAbsent(v)
	if red != nil {
		v = red.walk(v, "")
	}
	return encode(v, true)
}

// EncodeRecord writes one record as a JSON line that replay reads: the
// fields the engine reads (cloudtrail.Record), request and response as
// recorded; with a redactor, redacted.
func EncodeRecord(r *ct.Record, red *Redactor) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode record %s: %w", r.EventID, err)
	}
	v, err := generic(b)
	if err != nil {
		return nil, err
	}
	if m, ok := v.(map[string]any); ok {
		// Only the record's own fields: inside the request and the
		// response, presence matters ("noDevice": "" suppresses a device).
		for k, x := range m {
			if x == nil || x == "" {
				delete(m, k)
			}
		}
	}
	if red != nil {
		v = red.walk(v, "")
	}
	return encode(v, false)
}

func generic(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber() // numbers exactly as written
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("re-read: %w", err)
	}
	return v, nil
}

func encode(v any, indent bool) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// presence lists the members whose presence means something even when empty:
// a block device mapping's NoDevice ("" suppresses the device).
var presence = []string{"NoDevice"}

// dropAbsent removes the members whose value is null or "": a field AWS did
// not answer reads the same absent, to the world and to the engine.
func dropAbsent(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, y := range x {
			if y == nil || y == "" && !slices.Contains(presence, k) {
				delete(x, k)
				continue
			}
			x[k] = dropAbsent(y)
		}
	case []any:
		for i, y := range x {
			x[i] = dropAbsent(y)
		}
	}
	return v
}

// Redactor replaces what identifies people and what teams wrote, so that a
// world and its records can be attached to a ticket or shared:
//
//   - principal ARNs (arn:...:iam:: or :sts:: with a path), anywhere, by an
//     ARN of the same account and type with a pseudonym;
//   - every string of a record's userIdentity but its type, accountId,
//     invokedBy, creationDate and mfaAuthenticated (principal IDs, access
//     keys, user and session names), by pseudonyms;
//   - the caller's sourceIPAddress (an AWS service's name is kept);
//   - tag values, but those of tags whose key starts with "aws:" (AWS sets
//     them, and the engine reads aws:ec2launchtemplate:*); tag keys stay;
//   - Description fields (free text), but those VM Import wrote ("Created
//     by AWS-VMImport service for <task>"), which the engine reads.
//
// A pseudonym is a salted hash, the salt random per Redactor: the same
// principal reads the same throughout one capture, and cannot be found by
// hashing candidate names.
type Redactor struct{ salt []byte }

// NewRedactor returns a redactor with a fresh salt.
func NewRedactor() *Redactor {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails
	return &Redactor{salt: salt}
}

// Redacted is what replaces a tag value, an address or a description.
const Redacted = "REDACTED"

var principalARN = regexp.MustCompile(`^arn:(aws[a-z-]*):(iam|sts)::([0-9]{12}):([a-z-]+)/.+$`)

// identityKept are the userIdentity fields that identify no one.
var identityKept = []string{"type", "accountId", "invokedBy", "creationDate", "mfaAuthenticated"}

func (r *Redactor) pseudonym(s string) string {
	h := sha256.New()
	h.Write(r.salt)
	h.Write([]byte(s))
	return "redacted-" + hex.EncodeToString(h.Sum(nil))[:12]
}

func (r *Redactor) arn(s string) (string, bool) {
	m := principalARN.FindStringSubmatch(s)
	if m == nil {
		return s, false
	}
	return fmt.Sprintf("arn:%s:%s::%s:%s/%s", m[1], m[2], m[3], m[4], r.pseudonym(s)), true
}

// walk redacts v; key is the member name v is the value of.
func (r *Redactor) walk(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		tagKey, isTag := tag(x)
		for k, y := range x {
			switch {
			case isTag && (k == "Value" || k == "value"):
				if !strings.HasPrefix(tagKey, "aws:") {
					x[k] = Redacted
				}
			case k == "userIdentity":
				x[k] = r.identity(y, "")
			case k == "sourceIPAddress":
				if s, ok := y.(string); ok && !strings.HasSuffix(s, ".amazonaws.com") {
					x[k] = Redacted
				}
			case (k == "Description" || k == "description") && isString(y):
				if !strings.HasPrefix(y.(string), verify.VMImportDescriptionPrefix) {
					x[k] = Redacted // VM Import's own words are kept: the engine reads them
				}
			default:
				x[k] = r.walk(y, k)
			}
		}
		return x
	case []any:
		for i, y := range x {
			x[i] = r.walk(y, key)
		}
		return x
	case string:
		s, _ := r.arn(x)
		return s
	}
	return v
}

// identity redacts a userIdentity: every string but the kept fields.
func (r *Redactor) identity(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, y := range x {
			x[k] = r.identity(y, k)
		}
		return x
	case []any:
		for i, y := range x {
			x[i] = r.identity(y, key)
		}
		return x
	case string:
		if slices.Contains(identityKept, key) || x == "" {
			return x
		}
		if s, ok := r.arn(x); ok {
			return s
		}
		return r.pseudonym(x)
	}
	return v
}

// tag reports whether m is a tag ({"Key", "Value"} as the APIs write it,
// {"key", "value"} as CloudTrail does), and its key.
func tag(m map[string]any) (string, bool) {
	if len(m) != 2 {
		return "", false
	}
	for _, names := range [][2]string{{"Key", "Value"}, {"key", "value"}} {
		k, ok1 := m[names[0]].(string)
		_, ok2 := m[names[1]].(string)
		if ok1 && ok2 {
			return k, true
		}
	}
	return "", false
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}
