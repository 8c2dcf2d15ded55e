package capture

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	ct "github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// The secrets invariant (issue 16): capture keeps only what the engine
// reads, and --redact replaces the names and free text among it. Every field
// of the real SDK types a world holds, and every member of real records, is
// filled with a marker naming it; the markers found in what capture writes
// say which fields survived.

var marker = regexp.MustCompile(`mk\.([A-Za-z0-9]+)\.([A-Za-z0-9]+)\.mk`)

// fill sets every string, string pointer, enumeration, slice and map that v
// holds, recursively, to markers "mk.<Type>.<Field>.mk"; numbers and flags
// to non-zero values. Slices get two elements, maps one entry.
func fill(v reflect.Value, owner, field string, depth int) {
	if depth > 8 {
		return
	}
	mk := "mk." + owner + "." + field + ".mk"
	switch v.Kind() {
	case reflect.String:
		v.SetString(mk)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(7)
	case reflect.Pointer:
		if v.Type().Elem().PkgPath() == "time" {
			return // a time holds no text
		}
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), owner, field, depth+1)
		v.Set(p)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte(mk))
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(s.Index(i), owner, field, depth+1)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, owner, field, depth+1)
		fill(e, owner, field, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		if v.Type().PkgPath() == "time" {
			return
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.IsExported() {
				fill(v.Field(i), v.Type().Name(), f.Name, depth+1)
			}
		}
	}
}

func filled[T any]() T {
	var x T
	fill(reflect.ValueOf(&x).Elem(), reflect.TypeFor[T]().Name(), "", 0)
	return x
}

// markedWorld holds one of every SDK object a world lists, every field
// filled: each list of a Region is found by reflection, so that a list added
// to the world is marked with no line here.
func markedWorld() *world.World {
	key := filled[kmstypes.KeyMetadata]()
	r := &world.Region{
		EBSEncryptionByDefault: true,
		EBSDefaultKMSKeyID:     "alias/ebs-default",
		Keys:                   []world.Key{{KeyMetadata: key, Aliases: []string{"alias/web"}}},
	}
	v := reflect.ValueOf(r).Elem()
	for f := range v.Type().Fields() {
		if f.Type.Kind() == reflect.Slice && strings.HasPrefix(f.Type.Elem().PkgPath(), "github.com/aws/aws-sdk-go-v2/service/") {
			one := reflect.MakeSlice(f.Type, 1, 1)
			fill(one.Index(0), f.Type.Elem().Name(), "", 0)
			v.FieldByIndex(f.Index).Set(one)
		}
	}
	return &world.World{Accounts: map[string]map[string]*world.Region{"222222222222": {"us-east-1": r}}}
}

// survivors returns the fields ("Type.Field") whose markers b holds.
func survivors(b []byte) []string {
	var out []string
	for _, m := range marker.FindAllSubmatch(b, -1) {
		out = append(out, string(m[1])+"."+string(m[2]))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// keptStrings are the Kept fields that hold text: their markers survive a
// capture without --redact, and no other marker does.
func keptStrings() []string {
	var out []string
	for typ, names := range world.Kept {
		for _, n := range names {
			f, _ := typ.FieldByName(n)
			ft := f.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.String {
				out = append(out, typ.Name()+"."+n)
			}
		}
	}
	slices.Sort(out)
	return out
}

// redactedWorldFields are the kept fields --redact replaces: names and free
// text. Every other kept text is an ID, an owner, a state or a device name.
var redactedWorldFields = []string{"LaunchTemplateVersion.LaunchTemplateName", "Snapshot.Description", "SnapshotTaskDetail.StatusMessage", "ImportImageTask.StatusMessage"}

func TestNoMarkerOutsideKeptFields(t *testing.T) {
	b, err := EncodeWorld(markedWorld(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, want := survivors(b), keptStrings()
	if !slices.Equal(got, want) {
		t.Errorf("fields written:\n  %s\nwant exactly world.Kept's texts:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if _, err := world.Parse(bytes.NewReader(b)); err != nil {
		t.Errorf("the pruned world does not parse: %v", err)
	}

	red := NewRedactor()
	b, err = EncodeWorld(markedWorld(), red)
	if err != nil {
		t.Fatal(err)
	}
	got = survivors(b)
	want = slices.DeleteFunc(keptStrings(), func(f string) bool { return slices.Contains(redactedWorldFields, f) })
	if !slices.Equal(got, want) {
		t.Errorf("fields surviving --redact:\n  %s\nwant the IDs, owners, states and devices:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for _, f := range []string{"UserData", "KeyName", "PrivateIpAddress", "IamInstanceProfile", "SecurityGroups", "ImageLocation", "OwnerAlias", "VersionDescription", "MacAddress", "PrivateDnsName"} {
		if bytes.Contains(b, []byte(f)) {
			t.Errorf("the redacted world still names %s", f)
		}
	}
}

// idMembers are the record members whose text survives --redact: what
// the engine matches against the world or prints as an ID (IDs of images,
// snapshots, volumes, instances, tasks, templates; key references; device
// names; Regions and zones), and the record's own identifiers.
var idMembers = []string{
	"eventID", "eventName", "eventSource", "eventTime", "awsRegion", "recipientAccountId", "errorCode", "type", "accountId", "invokedBy",
	"imageId", "instanceId", "snapshotId", "volumeId", "sourceImageId", "sourceSnapshotId", "sourceVolumeId", "sourceRegion", "importTaskId",
	"kmsKeyId", "launchTemplateId", "version", "deviceName", "virtualName", "format",
	"zone", "availabilityZone", "availabilityZoneId", "destinationAvailabilityZone", "destinationAvailabilityZoneId", "outpostArn", "destinationOutpostArn",
	"encrypted", "parentSnapshotId", "kmsKeyArn", "replaceRootVolumeTaskId",
}

// markRecord replaces every string of a record (decoded JSON) with a marker
// naming its member, but the members that say what the record is.
func markRecord(v any, member string, names map[string]string) any {
	switch x := v.(type) {
	case map[string]any:
		if k, _ := x["key"].(string); strings.HasPrefix(k, keptTagPrefix) {
			return x // the template's ID or version: what the engine reads
		}
		for k, y := range x {
			if k == "eventName" || k == "eventSource" || k == "eventTime" || k == "eventVersion" {
				continue
			}
			x[k] = markRecord(y, k, names)
		}
	case []any:
		for i, y := range x {
			x[i] = markRecord(y, member, names)
		}
	case string:
		id := strconv.Itoa(len(names))
		names[id] = member
		return "mk.m" + id + "." + member + ".mk"
	}
	return v
}

// bigRecord is a RunInstances record with every part CloudTrail writes of
// one, failed (errorMessage naming the caller).
const bigRecord = `{"eventVersion":"1.09",
 "userIdentity":{"type":"AssumedRole","principalId":"AROAX:alice","arn":"arn:aws:sts::222222222222:assumed-role/Admin/alice","accountId":"222222222222","accessKeyId":"ASIAX",
   "sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAX","arn":"arn:aws:iam::222222222222:role/Admin","accountId":"222222222222","userName":"Admin"},
   "attributes":{"creationDate":"2026-11-20T09:00:00Z","mfaAuthenticated":"false"}},"invokedBy":"autoscaling.amazonaws.com"},
 "eventTime":"2026-11-20T10:04:11Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"us-east-1",
 "sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.22.0","errorCode":"Client.UnauthorizedOperation",
 "errorMessage":"You are not authorized to perform this operation. User: arn:aws:sts::222222222222:assumed-role/Admin/alice is not authorized to perform: ec2:RunInstances",
 "requestParameters":{"instancesSet":{"items":[{"imageId":"ami-1","minCount":1,"maxCount":1,"keyName":"alice-key"}]},"userData":"IyEvYmluL2Jhc2gKUEFTU1dPUkQ9aHVudGVyMg==",
   "instanceType":"t3.micro","blockDeviceMapping":{"items":[{"deviceName":"/dev/xvda","ebs":{"volumeSize":8,"encrypted":true,"kmsKeyId":"alias/web","snapshotId":"snap-1"}},{"deviceName":"/dev/sdb","noDevice":""},{"deviceName":"/dev/sdc","virtualName":"ephemeral0"}]},
   "networkInterfaceSet":{"items":[{"deviceIndex":0,"subnetId":"subnet-1","privateIpAddress":"10.0.0.5","groupSet":{"items":[{"groupId":"sg-1"}]}}]},
   "iamInstanceProfile":{"arn":"arn:aws:iam::222222222222:instance-profile/alice-profile"},
   "launchTemplate":{"launchTemplateId":"lt-1","launchTemplateName":"alice-web","version":"$Latest"},
   "tagSpecificationSet":{"items":[{"resourceType":"instance","tags":[{"key":"Owner","value":"alice@example.com"}]}]},"clientToken":"tok","placement":{"availabilityZone":"us-east-1a"}},
 "responseElements":{"requestId":"r1","reservationId":"r-1","ownerId":"222222222222","groupSet":{},"instancesSet":{"items":[{"instanceId":"i-1","imageId":"ami-1","keyName":"alice-key",
   "privateDnsName":"ip-10-0-0-5.ec2.internal","dnsName":"ec2-203-0-113-9.compute-1.amazonaws.com","privateIpAddress":"10.0.0.5","ipAddress":"203.0.113.9",
   "networkInterfaceSet":{"items":[{"networkInterfaceId":"eni-1","macAddress":"0a:1b:2c:3d:4e:5f","privateIpAddress":"10.0.0.5","privateDnsName":"ip-10-0-0-5.ec2.internal",
     "association":{"publicIp":"203.0.113.9","publicDnsName":"ec2-203-0-113-9.compute-1.amazonaws.com"},"privateIpAddressesSet":{"item":[{"privateIpAddress":"10.0.0.5"}]}}]},
   "tagSet":{"items":[{"key":"aws:ec2launchtemplate:id","value":"lt-1"},{"key":"Name","value":"alice-box"}]},
   "iamInstanceProfile":{"arn":"arn:aws:iam::222222222222:instance-profile/alice-profile","id":"AIPAX"},"placement":{"availabilityZone":"us-east-1a"},
   "blockDeviceMapping":{"items":[{"deviceName":"/dev/xvda","ebs":{"volumeId":"vol-1","status":"attaching"}}]}}]}},
 "requestID":"r1","eventID":"e1","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"222222222222","eventCategory":"Management",
 "tlsDetails":{"tlsVersion":"TLSv1.3","clientProvidedHostHeader":"ec2.us-east-1.amazonaws.com"},"sessionCredentialFromConsole":"true"}`

// readMembers are the JSON members the engine reads of records: Record's
// and every record shape's.
func readMembers() []string {
	var out []string
	var walk func(reflect.Type)
	seen := map[reflect.Type]bool{}
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for name, ft := range jsonFields(t) {
			out = append(out, name)
			walk(ft)
		}
	}
	walk(reflect.TypeFor[ct.Record]())
	for _, t := range verify.RecordShapeTypes() {
		walk(t)
	}
	out = append(out, "items", "item") // CloudTrail's list wrappers
	sort.Strings(out)
	return slices.Compact(out)
}

func TestNoMarkerOutsideReadMembers(t *testing.T) {
	inputs := map[string][]byte{"big RunInstances": []byte(bigRecord)}
	paths, _ := filepath.Glob("../../events/samples/*/event.json")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(filepath.Dir(p))] = b
	}
	read := readMembers()
	for name, in := range inputs {
		for i, it := range ct.DecodeAll(in) {
			if it.Record == nil {
				continue
			}
			raw := rawRecordOf(in, i)
			if raw == nil {
				t.Fatalf("%s: record %d is in no form the test knows", name, i)
			}
			var v map[string]any
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Fatal(err)
			}
			names := map[string]string{}
			markRecord(v, "", names)
			b, _ := json.Marshal(v)
			items := ct.DecodeAll(b)
			if len(items) != 1 || items[0].Record == nil {
				t.Fatalf("%s: the marked record does not read: %v", name, items)
			}
			for _, redact := range []bool{false, true} {
				var red *Redactor
				if redact {
					red = NewRedactor()
				}
				out, err := EncodeRecord(items[0].Record, red)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range survivors(out) {
					member := s[strings.Index(s, ".")+1:]
					allowed := read
					if redact {
						allowed = idMembers
					}
					// encoding/json matches a member in any case
					// (CreateReplaceRootVolumeTaskRequest.InstanceId).
					if !slices.ContainsFunc(allowed, func(m string) bool { return strings.EqualFold(m, member) }) {
						t.Errorf("%s record %d (redact=%v): %s survives:\n%s", name, i, redact, member, out)
					}
				}
				for _, secret := range []string{"alice", "198.51.100", "10.0.0.5", "203.0.113", "0a:1b", "ec2.internal", "IyEvYmlu", "not authorized"} {
					if bytes.Contains(out, []byte(secret)) {
						t.Errorf("%s record %d (redact=%v): %q survives:\n%s", name, i, redact, secret, out)
					}
				}
			}
		}
	}
}

// rawRecordOf returns the i-th record of an input as written (a bare record,
// or one of {"Records": [...]}), so that every member is marked, not only
// Record's.
func rawRecordOf(in []byte, i int) []byte {
	var batch struct{ Records []json.RawMessage }
	if json.Unmarshal(in, &batch) == nil && i < len(batch.Records) {
		return batch.Records[i]
	}
	var one map[string]json.RawMessage
	if json.Unmarshal(in, &one) == nil && i == 0 {
		if d, ok := one["detail"]; ok {
			return d
		}
		return in
	}
	return nil
}

// The same through the recorder: every describe call answered by a world of
// marked objects, recorded through the SDK middleware step, and written.
func TestRecordedMarkersOutsideKeptFields(t *testing.T) {
	ctx := context.Background()
	const account, region = "222222222222", "us-east-1"
	rec := NewRecorder(markedWorld())
	e, err := rec.EC2(ctx, account, region)
	if err != nil {
		t.Fatal(err)
	}
	k, err := rec.KMS(ctx, account, region)
	if err != nil {
		t.Fatal(err)
	}
	// Every read of the engine, through the recorder: with an empty input,
	// or the one markerInputs gives a read that needs one.
	for _, api := range []any{e, k} {
		v := reflect.ValueOf(api)
		for m := range reflect.TypeOf(api).Methods() {
			if !slices.ContainsFunc([]reflect.Type{reflect.TypeFor[verify.EC2API](), reflect.TypeFor[verify.KMSAPI]()}, func(i reflect.Type) bool {
				_, ok := i.MethodByName(m.Name)
				return ok
			}) {
				continue
			}
			in, ok := markerInputs[m.Name]
			if !ok {
				in = reflect.New(m.Type.In(2).Elem()).Interface()
			}
			out := v.Method(m.Index).Call([]reflect.Value{reflect.ValueOf(ctx), reflect.ValueOf(in)})
			if err, _ := out[1].Interface().(error); err != nil {
				t.Fatalf("%s with %+v: %v (a read that needs an input to answer gets one in markerInputs)", m.Name, in, err)
			}
		}
	}
	for _, redact := range []bool{false, true} {
		var red *Redactor
		if redact {
			red = NewRedactor()
		}
		b, err := EncodeWorld(rec.World(), red)
		if err != nil {
			t.Fatal(err)
		}
		want := slices.DeleteFunc(keptStrings(), func(f string) bool {
			return redact && slices.Contains(redactedWorldFields, f)
		})
		if got := survivors(b); !slices.Equal(got, want) {
			t.Errorf("redact=%v: fields written:\n  %s\nwant:\n  %s", redact, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
	}
}

// markerInputs are the inputs of the reads that need one to answer: the
// marked template's ID, the marked key's ID.
var markerInputs = map[string]any{
	"DescribeLaunchTemplateVersions": &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String("mk.LaunchTemplateVersion.LaunchTemplateId.mk")},
	"DescribeKey":                    &kms.DescribeKeyInput{KeyId: aws.String("mk.KeyMetadata.KeyId.mk")},
}
