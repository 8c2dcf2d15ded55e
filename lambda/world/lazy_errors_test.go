package world

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// A malformed world fails to load, lazily or not, with an error that says
// where and what: the element's list and index, and encoding/json's words.
func TestMalformedWorlds(t *testing.T) {
	region := func(fields string) string {
		return `{"accounts":{"1":{"us-east-1":{` + fields + `}}}}`
	}
	deep := strings.Repeat("[", 10001) + strings.Repeat("]", 10001)
	for _, c := range []struct {
		name, doc string
		want      []string // in the error
	}{
		{"bad JSON in an element", region(`"images":[{"ImageId":"ami-1"},{"ImageId":tru}]`), []string{"accounts.1.us-east-1.images[1]", "invalid character"}},
		{"bad escape in an element", region(`"images":[{"ImageId":"ami-\x"}]`), []string{"images[0]", "invalid character 'x' in string escape code"}},
		{"control character in a string", region("\"volumes\":[{\"VolumeId\":\"vol-\x01\"}]"), []string{"volumes[0]", "invalid character"}},
		{"wrong type in an element", region(`"volumes":[{"VolumeId":"vol-1"},{"VolumeId":"vol-2","Size":"8"}]`), []string{"accounts.1.us-east-1.volumes[1]", "cannot unmarshal string into Go struct field Volume.Size of type int32"}},
		{"wrong type deep in an element", region(`"instances":[{"InstanceId":"i-1","BlockDeviceMappings":[{"Ebs":{"VolumeId":7}}]}]`), []string{"instances[0]", "cannot unmarshal number"}},
		{"object for a list", region(`"instances":[{"InstanceId":"i-1","BlockDeviceMappings":{"DeviceName":"x"}}]`), []string{"instances[0]", "cannot unmarshal object"}},
		{"a time that is not one", region(`"snapshots":[{"SnapshotId":"snap-1","StartTime":"yesterday"}]`), []string{"snapshots[0]", "parsing time"}},
		{"a number too large", region(`"volumes":[{"VolumeId":"vol-1","Size":4294967296}]`), []string{"volumes[0]", "cannot unmarshal number 4294967296"}},
		{"a fraction for an integer", region(`"launchTemplateVersions":[{"VersionNumber":1.5}]`), []string{"launchTemplateVersions[0]", "cannot unmarshal number 1.5"}},
		{"a string for a boolean", region(`"snapshots":[{"SnapshotId":"snap-1","Encrypted":"true"}]`), []string{"snapshots[0]", "cannot unmarshal string"}},
		{"an element that is not an object", region(`"images":[{"ImageId":"ami-1"},1]`), []string{"images[1]", "cannot unmarshal number into Go value of type types.Image"}},
		{"a list that is not a list", region(`"images":{"ImageId":"ami-1"}`), []string{"accounts.1.us-east-1.images", "cannot unmarshal object"}},
		{"a list of two values", region(`"images":[{"ImageId":"ami-1"}] [1]`), []string{"parse"}},
		{"missing comma between elements", region(`"images":[{"ImageId":"ami-1"} {"ImageId":"ami-2"}]`), []string{"parse"}},
		{"trailing comma", region(`"images":[{"ImageId":"ami-1"},]`), []string{"parse"}},
		{"nesting too deep", region(`"images":[{"ImageId":"ami-1","Unknown":` + deep + `}]`), []string{"images[0]", "exceeded max depth"}},
		{"unknown key at the Region level", region(`"images":[],"imagez":[]`), []string{"accounts.1.us-east-1", `unknown field "imagez"`}},
		{"unknown key in a later entry", region(`"later":[{"afterCals":2}]`), []string{"later[0]", `unknown field "afterCals"`}},
		{"unknown key at the top", `{"acounts":{}}`, []string{`unknown field "acounts"`}},
		{"truncated", region(`"images":[{"ImageId":"ami-1"}`)[:40], []string{"parse"}},
		{"bad element in a later entry", region(`"later":[{"images":[{"ImageId":1}]}]`), []string{"later", "cannot unmarshal number"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "world.json")
			if err := os.WriteFile(path, []byte(c.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			for name, load := range map[string]func() (*World, error){
				"LoadLazy":  func() (*World, error) { return LoadLazy(path) },
				"ParseLazy": func() (*World, error) { return ParseLazy(strings.NewReader(c.doc)) },
				"Load":      func() (*World, error) { return Load(path) },
				"Parse":     func() (*World, error) { return Parse(strings.NewReader(c.doc)) },
			} {
				w, err := load()
				if err == nil {
					t.Errorf("%s: no error; the world has %s", name, js(w))
					continue
				}
				for _, want := range c.want {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("%s: error %q; want it to say %q", name, err, want)
					}
				}
			}
		})
	}
}

// An element that does not decode although it passed the check at load (a
// gap in the check, which the bytes below stand for) is reported by the
// lookups that return it, by Decode and Record: never a panic, never an
// element dropped.
func TestLazyElementThatDoesNotDecode(t *testing.T) {
	doc := []byte(region1(`"images":[{"ImageId":"ami-0"},{"ImageId":"ami-1","State":"available"}],"volumes":[{"VolumeId":"vol-1"}]`))
	w, err := ParseLazy(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	r := w.Accounts["1"]["us-east-1"]
	// What the check passed, changed behind it: "available" → 12345678901.
	src := images.of(r).lazy.src.b
	i := bytes.Index(src, []byte(`"available"`))
	copy(src[i:], "12345678901")

	ctx := context.Background()
	e := w.EC2View("1", "us-east-1")
	want := `world: accounts.1.us-east-1.images[1]: json: cannot unmarshal number into Go struct field Image.State of type types.ImageState`
	if _, err := e.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{"ami-1"}}); err == nil || err.Error() != want {
		t.Errorf("DescribeImages(ami-1) error = %v; want %s", err, want)
	}
	if _, err := e.DescribeImages(ctx, &ec2.DescribeImagesInput{}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("DescribeImages() error = %v; want %s", err, want)
	}
	if out, err := e.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{"ami-0"}}); err != nil || len(out.Images) != 1 {
		t.Errorf("DescribeImages(ami-0) = %v, %v; want the image", out, err)
	}
	if r.Record(nil, &ec2.DescribeVolumesOutput{Volumes: []ec2types.Volume{{VolumeId: aws.String("vol-2")}}}) {
		t.Error("Record kept a read in a Region whose images do not decode")
	}
	if err := w.Decode(); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Decode error = %v; want %s", err, want)
	}
	if r.lazy == nil || images.of(r).lazy == nil || r.Images != nil || r.Volumes == nil {
		t.Errorf("after a failed Decode, the images are not held as they were, or the volumes not decoded: %s", js(exported(r)))
	}
}

func region1(fields string) string { return `{"accounts":{"1":{"us-east-1":{` + fields + `}}}}` }

// The check never vouches for an element encoding/json rejects, and the
// keys it decodes are those of encoding/json's value: on valid elements of
// every list, and on thousands of mutations of them (bytes changed, added,
// removed; values swapped for values of other types). A world made of such
// an element loads, lazily, exactly when encoding/json decodes it, and
// decodes to the same.
func TestCheckAgreesWithEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	doc := genWorld(rand.New(rand.NewPCG(23, 24)), 40)
	shape, ok := fastShape(&source{b: doc})
	if !ok {
		t.Fatal("fastShape does not follow genWorld's world")
	}
	fields := shape.Accounts[lazyAccount][lazyRegionName]
	pieces := []string{`"`, `\`, `{`, `}`, `[`, `]`, `,`, `:`, ` `, `0`, `1`, `-`, `.`, `e`, `+`, `true`, `null`, `"x"`, `\u00e9`, "\xff", `1e999`, `2147483648`, `"2024-01-01"`, `{}`, `[]`, `"Size"`, `"ImageId"`, `"attachments"`}
	checked, vouched := 0, 0
	for _, field := range []string{"images", "snapshots", "volumes", "instances", "launchTemplateVersions", "replaceRootVolumeTasks", "importSnapshotTasks", "importImageTasks"} {
		var elems []json.RawMessage
		if err := json.Unmarshal(fields[field], &elems); err != nil {
			t.Fatal(err)
		}
		for range 600 {
			e := []byte(elems[rng.IntN(len(elems))])
			for range 1 + rng.IntN(3) {
				i := rng.IntN(len(e) + 1)
				switch p := pieces[rng.IntN(len(pieces))]; rng.IntN(4) {
				case 0: // insert
					e = append(e[:i:i], append([]byte(p), e[i:]...)...)
				case 1: // delete
					if i < len(e) {
						e = append(e[:i:i], e[min(len(e), i+1+rng.IntN(3)):]...)
					}
				case 2: // replace a value: from after a colon to the next comma or brace
					if j := bytes.IndexByte(e[min(i, len(e)):], ':'); j >= 0 {
						s := i + j + 1
						k := bytes.IndexAny(e[s:], ",}")
						if k >= 0 {
							e = append(e[:s:s], append([]byte(p), e[s+k:]...)...)
						}
					}
				default: // leave it valid, maybe
				}
			}
			checked++
			if agreesWithEncodingJSON(t, field, e) {
				vouched++
			}
		}
	}
	t.Logf("%d elements, %d of them valid", checked, vouched)
}

// agreesWithEncodingJSON holds a Region list of the one element e to the
// check's promise: a world made of it loads lazily exactly when
// encoding/json decodes it (or, when e is not valid JSON alone, only when
// encoding/json decodes the document its bytes make), and then decodes to
// what encoding/json decodes, with the keys of what it decodes. It reports
// whether the world loaded.
func agreesWithEncodingJSON(t *testing.T, field string, e []byte) bool {
	t.Helper()
	doc := region1(`"` + field + `":[` + string(e) + `]`)
	var ref World
	refErr := json.Unmarshal([]byte(doc), &ref)
	w, err := ParseLazy(strings.NewReader(doc))
	switch {
	case err == nil && refErr != nil:
		t.Fatalf("%s loads lazily; encoding/json says %v", doc, refErr)
	case err != nil && refErr == nil && json.Valid(e): // the document's structure is the one written
		t.Fatalf("%s does not load lazily (%v); encoding/json decodes it", doc, err)
	case err != nil || refErr != nil:
		return false
	}
	r := w.Accounts["1"]["us-east-1"]
	want := exported(ref.Accounts["1"]["us-east-1"])
	keys := indexKeysOf(r)
	if err := w.Decode(); err != nil {
		t.Fatalf("%s loads lazily but does not decode: %v", doc, err)
	}
	if got := exported(r); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s decodes to\n%s\nwant\n%s", doc, js(got), js(want))
	}
	if want := indexKeysOf(r); !reflect.DeepEqual(keys, want) {
		t.Fatalf("%s: keys read at load\n%s\nwant (from the decoded element)\n%s", doc, js(keys), js(want))
	}
	return true
}

// FuzzCheckAgrees is TestCheckAgreesWithEncodingJSON's property on any
// element of any list (make fuzz).
func FuzzCheckAgrees(f *testing.F) {
	var names []string
	for _, l := range lists {
		names = append(names, l.name())
	}
	shape, _ := fastShape(&source{b: genWorld(rand.New(rand.NewPCG(25, 26)), 12)})
	for i, field := range names {
		var elems []json.RawMessage
		json.Unmarshal(shape.Accounts[lazyAccount][lazyRegionName][field], &elems)
		for _, e := range elems {
			f.Add(uint8(i), []byte(e))
		}
	}
	f.Fuzz(func(t *testing.T, list uint8, e []byte) {
		agreesWithEncodingJSON(t, names[int(list)%len(names)], e)
	})
}

// indexKeysOf returns the keys of every list of the Region, as the index
// takes them.
func indexKeysOf(r *Region) []any {
	var out []any
	for _, l := range lists {
		out = append(out, l.keyValues(r)...)
	}
	return out
}

// The check models every field of the lists held lazily: none falls to the
// path that leaves each element to encoding/json (correct, but as slow as
// decoding). A new SDK type it does not model fails here.
func TestSchemasModelTheListTypes(t *testing.T) {
	var types []reflect.Type
	for _, l := range lists {
		types = append(types, l.elem())
	}
	// Every resource list is held lazily; what is decoded at load is
	// settings, keys, later entries and events.
	atLoad := map[string]bool{"ebsEncryptionByDefault": true, "ebsDefaultKmsKeyId": true, "keys": true, "later": true, "events": true}
	for _, name := range regionFields() {
		if lazy := lazyField(&lazyRegion{}, name) != nil; lazy == atLoad[name] {
			t.Errorf("Region field %q: held lazily %v; want %v", name, lazy, !atLoad[name])
		}
	}
	seen := map[*node]bool{}
	var walk func(n *node, path string)
	walk = func(n *node, path string) {
		if seen[n] {
			return
		}
		seen[n] = true
		if n.kind == kindUnsure {
			t.Errorf("%s (%s) is not modelled: every element holding it is decoded at load", path, n.typ)
		}
		for name, s := range n.fields {
			walk(s.node, path+"."+name)
		}
		if n.elem != nil {
			walk(n.elem, path+"[]")
		}
	}
	for _, ty := range types {
		walk(schemaFor(ty, nil), ty.Name())
	}
}

// BenchmarkLoadBigWorld loads a world the size of bench/replay.sh's big one
// (50,000 volumes each attached to an instance, 20,000 snapshots, 5,000
// images: about 23 MB) and answers a first lookup, which builds the index:
// lazily, as replay does, and decoded, as Load does.
func BenchmarkLoadBigWorld(b *testing.B) {
	path := filepath.Join(b.TempDir(), "world.json")
	if err := os.WriteFile(path, bigWorld(50000, 20000, 5000), 0o644); err != nil {
		b.Fatal(err)
	}
	for name, load := range map[string]func(string) (*World, error){"lazy": LoadLazy, "decoded": Load} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				w, err := load(path)
				if err != nil {
					b.Fatal(err)
				}
				out, err := w.EC2View("111111111111", "us-east-1").DescribeVolumes(context.Background(), &ec2.DescribeVolumesInput{VolumeIds: []string{"vol-f0000000000000007"}})
				if err != nil || len(out.Volumes) != 1 {
					b.Fatal(out, err)
				}
			}
		})
	}
}

// bigWorld is a world like bench/record's -world-volumes, -world-snapshots
// and -world-images.
func bigWorld(volumes, snapshots, images int) []byte {
	const key = "arn:aws:kms:us-east-1:111111111111:key/f111e000-0000-4000-8000-000000000001"
	var b bytes.Buffer
	b.WriteString(`{"accounts":{"111111111111":{"us-east-1":{"volumes":[`)
	for i := range volumes {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"Attachments":[{"Device":"/dev/xvda","InstanceId":"i-f%016x","State":"attached","VolumeId":"vol-f%016x"}],"AvailabilityZone":"us-east-1a","Encrypted":true,"KmsKeyId":%q,"Size":8,"SnapshotId":"snap-f%016x","State":"in-use","VolumeId":"vol-f%016x"}`,
			i, i, key, i%max(1, snapshots), i)
	}
	b.WriteString(`],"snapshots":[`)
	for i := range snapshots {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"Encrypted":true,"KmsKeyId":%q,"OwnerId":"111111111111","SnapshotId":"snap-f%016x","State":"completed","VolumeSize":8}`, key, i)
	}
	b.WriteString(`],"images":[`)
	for i := range images {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"BlockDeviceMappings":[{"DeviceName":"/dev/xvda","Ebs":{"Encrypted":true,"SnapshotId":"snap-f%016x"}}],"ImageId":"ami-f%016x","OwnerId":"111111111111","State":"available"}`, i%max(1, snapshots), i)
	}
	b.WriteString(`]}}}}`)
	return b.Bytes()
}

// A large world file that is mapped and malformed (truncated) is reported
// like any other: the decoder that says why reads the mapping, which stays
// until it is done (a collection meanwhile once unmapped it under it).
func TestMappedMalformedWorld(t *testing.T) {
	doc := bigWorld(20000, 0, 0)
	path := filepath.Join(t.TempDir(), "world.json")
	if err := os.WriteFile(path, doc[:len(doc)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	for range 5 {
		if _, err := LoadLazy(path); err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
			t.Fatalf("error %v; want unexpected EOF", err)
		}
	}
}
