package capture

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"

	ct "github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// EncodeWorld writes a world file: of the SDK objects, only the fields the
// engine reads (world.Kept), with the API field names as the SDK types carry
// them, indented, without the fields AWS did not answer (null, or the empty
// value of an enumeration, which the SDK types hold as a plain string); with
// a redactor, redacted.
func EncodeWorld(w *world.World, red *Redactor) ([]byte, error) {
	b, err := json.Marshal(world.Pruned(w))
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
// fields the engine reads (cloudtrail.Record, but errorMessage: free text
// that names the caller, which no kind reads), and of the request and the
// response only the members the event's kind decodes (verify.RecordShape);
// with a redactor, redacted.
func EncodeRecord(r *ct.Record, red *Redactor) ([]byte, error) {
	c := *r
	c.ErrorMessage = ""
	reqType, respType, known := verify.RecordShape(string(r.EventName))
	var err error
	if c.RequestParameters, err = keepRaw(r.RequestParameters, reqType, known); err != nil {
		return nil, fmt.Errorf("encode record %s: requestParameters: %w", r.EventID, err)
	}
	if c.ResponseElements, err = keepRaw(r.ResponseElements, respType, known); err != nil {
		return nil, fmt.Errorf("encode record %s: responseElements: %w", r.EventID, err)
	}
	b, err := json.Marshal(&c)
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
		if id, ok := m["userIdentity"].(map[string]any); ok {
			for k, x := range id {
				if x == nil || x == "" {
					delete(id, k)
				}
			}
		}
	}
	if red != nil {
		v = red.walk(v, "")
	}
	return encode(v, false)
}

// keepRaw prunes a request or response to what decoding into t reads; of
// an event no kind reads, nothing is kept.
func keepRaw(raw json.RawMessage, t reflect.Type, known bool) (json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return raw, nil
	}
	if !known {
		return nil, nil
	}
	v, err := generic(raw)
	if err != nil {
		return nil, err
	}
	return encode(keepShape(v, t), false)
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

// Redactor replaces, inside what capture keeps (world.Kept and the
// records' kept members), what identifies people, what teams named and what
// they wrote, so that a world and its records can be attached to a ticket or
// shared:
//
//   - principal ARNs (arn:...:iam:: or :sts:: with a path), anywhere, by an
//     ARN of the same account and type with a pseudonym;
//   - every string of a record's userIdentity but its type, accountId and
//     invokedBy (principal IDs, ARNs), by pseudonyms;
//   - names: launch template names (world and records alike, so that a
//     template asked by name is still found), VM Import's disk URLs, S3
//     buckets and keys, by pseudonyms;
//   - free text: import tasks' status messages, by pseudonyms; Description
//     fields, but those VM Import wrote ("Created by AWS-VMImport service
//     for <task>"), which the engine reads, and tag values, but those of
//     aws:ec2launchtemplate:* (the template's ID and version, which the
//     engine reads), by REDACTED; tag keys but AWS's (aws:*), by pseudonyms.
//
// Network identifiers (addresses, DNS names, MACs), user data, key pairs,
// instance profiles and error messages are not kept at all. IDs and ARNs of
// images, snapshots, volumes, instances, tasks and KMS keys, account IDs,
// Regions, states and key alias names stay: verdicts rest on them, and a
// policy names keys by alias.
//
// A pseudonym is a salted hash, the salt random per Redactor: the same value
// reads the same throughout one capture, and cannot be found by hashing
// candidate names.
type Redactor struct {
	salt []byte

	mu       sync.Mutex
	replaced map[string]string // what was replaced, by what
}

// NewRedactor returns a redactor with a fresh salt.
func NewRedactor() *Redactor {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails
	return &Redactor{salt: salt, replaced: map[string]string{}}
}

// keptTagPrefix starts the keys of the tags whose values the engine reads
// (the launch template an instance came from): their values stay.
const keptTagPrefix = "aws:ec2launchtemplate:"

// Redacted is what replaces a tag value or a description.
const Redacted = "REDACTED"

var principalARN = regexp.MustCompile(`^arn:(aws[a-z-]*):(iam|sts)::([0-9]{12}):([a-z-]+)/.+$`)

// identityKept are the userIdentity fields that identify no one.
var identityKept = []string{"type", "accountId", "invokedBy", "creationDate", "mfaAuthenticated"}

// named are the members, in the world (API names) and in records
// (CloudTrail's), whose value is a name or free text, replaced by a
// pseudonym.
var named = []string{"LaunchTemplateName", "launchTemplateName", "url", "s3Bucket", "s3Key", "StatusMessage"}

func (r *Redactor) pseudonym(s string) string {
	h := sha256.New()
	h.Write(r.salt)
	h.Write([]byte(s))
	return r.note(s, "redacted-"+hex.EncodeToString(h.Sum(nil))[:12])
}

// note remembers that s was replaced by with, and returns with.
func (r *Redactor) note(s, with string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.replaced == nil {
		r.replaced = map[string]string{}
	}
	r.replaced[s] = with
	return with
}

// Replacements returns every value the redactor replaced by a pseudonym,
// with the pseudonym: how a text that quotes them (a verdict) reads once
// redacted. Values shorter than 3 characters are left out, as too likely to
// occur by chance; what became REDACTED is not listed (a verdict never
// quotes a tag value or a description).
func (r *Redactor) Replacements() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]string{}
	for k, v := range r.replaced {
		if len(k) >= 3 {
			out[k] = v
		}
	}
	return out
}

// Apply replaces in s every value the redactor replaced, longest first.
func (r *Redactor) Apply(s string) string {
	m := r.Replacements()
	keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), cmp.Compare(a, b)) })
	pairs := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		pairs = append(pairs, k, m[k])
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

func (r *Redactor) arn(s string) (string, bool) {
	m := principalARN.FindStringSubmatch(s)
	if m == nil {
		return s, false
	}
	return r.note(s, fmt.Sprintf("arn:%s:%s::%s:%s/%s", m[1], m[2], m[3], m[4], r.pseudonym(s))), true
}

// walk redacts v; key is the member name v is the value of.
func (r *Redactor) walk(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		tagKey, isTag := tag(x)
		for k, y := range x {
			switch {
			case isTag && (k == "Value" || k == "value"):
				if _, ok := y.(string); ok && !strings.HasPrefix(tagKey, keptTagPrefix) {
					x[k] = Redacted
				}
			case isTag && (k == "Key" || k == "key"):
				if s, ok := y.(string); ok && !strings.HasPrefix(s, "aws:") {
					x[k] = r.pseudonym(s)
				}
			case k == "userIdentity":
				x[k] = r.identity(y, "")
			case k == "sourceIPAddress":
				if s, ok := y.(string); ok && s != "" && !strings.HasSuffix(s, ".amazonaws.com") {
					x[k] = Redacted
				}
			case (k == "Description" || k == "description") && isString(y):
				if s := y.(string); !strings.HasPrefix(s, verify.VMImportDescriptionPrefix) {
					x[k] = Redacted // VM Import's own words are kept: the engine reads them
				}
			case slices.Contains(named, k) && isString(y) && y != "":
				x[k] = r.pseudonym(y.(string))
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
