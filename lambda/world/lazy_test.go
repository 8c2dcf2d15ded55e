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
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// lazyAccount and lazyRegion name where genWorld puts its resources.
const lazyAccount, lazyRegionName = "111111111111", "us-east-1"

// genWorld writes a world of n resources of each list, in the shapes a file
// may hold them that encoding/json reads in its own ways: keys in another
// case, repeated keys, escapes, nulls, unknown fields, whitespace, repeated
// IDs, attachments from the instances' mappings.
func genWorld(rng *rand.Rand, n int) []byte {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	ws := func() string { return pick("", "", "", " ", "\n  ", "\t") }
	var images, snapshots, volumes, instances, templates, tasks, importSnaps, importImages []string
	for i := range n {
		id := func(prefix string) string {
			if rng.IntN(50) == 0 {
				return fmt.Sprintf("%s-%d", prefix, rng.IntN(i+1)) // an ID listed twice
			}
			return fmt.Sprintf("%s-%d", prefix, i)
		}
		extra := pick("", `,"Tags":[{"Key":"k","Value":"v\"q"}]`, `,"Unknown":{"x":[1,2.5e3,{"y":null,"z":"]},{"}],"b":true}`,
			`,"Extra":"é\u00e9\ud83d\ude00"`, `,"n":-0.0`)
		images = append(images, pick(
			fmt.Sprintf(`{"ImageId":%q,"OwnerId":"111111111111","State":"available","BlockDeviceMappings":[{"DeviceName":"/dev/xvda","Ebs":{"SnapshotId":"snap-%d","Encrypted":true,"VolumeSize":8}}]%s}`, id("ami"), i, extra),
			fmt.Sprintf(`{"imageid":%q,"STATE":"pending"%s}`, id("ami"), extra),
			fmt.Sprintf(`{"ImageId":"ami-x","ImageId":%q}`, id("ami")),
			fmt.Sprintf(`{"Image\u0049d":%q}`, id("ami")),
			fmt.Sprintf(`{"ImageId":"ami-\u0030%d","CreationDate":"2024-01-01T00:00:00.000Z"}`, i),
			fmt.Sprintf("%s{%s\"ImageId\"%s:%s%q%s}%s", ws(), ws(), ws(), ws(), id("ami"), ws(), ws()),
			fmt.Sprintf("{\"ImageId\":\"ami-\xff%d\"}", i),
			`{"ImageId":null}`, `null`, `{}`))
		desc := pick(``, `,"Description":""`, `,"Description":null`, fmt.Sprintf(`,"Description":"d-%d"`, i%7), fmt.Sprintf(`,"description":"d-%d"`, i%5))
		snapshots = append(snapshots, pick(
			fmt.Sprintf(`{"SnapshotId":%q,"OwnerId":%q,"State":"completed","Encrypted":true,"VolumeSize":8,"StartTime":"2024-05-01T10:00:00Z"%s%s}`, id("snap"), pick("111111111111", "222222222222"), desc, extra),
			fmt.Sprintf(`{"snapshotId":%q%s}`, id("snap"), desc),
			fmt.Sprintf(`{"SnapshotId":%q%s,"Description":"d-1"}`, id("snap"), desc)))
		attach := pick(
			fmt.Sprintf(`,"Attachments":[{"InstanceId":"i-%d","Device":"/dev/xvda","State":"attached"}]`, i),
			`,"Attachments":[]`, ``, `,"Attachments":null`,
			fmt.Sprintf(`,"Attachments":[{"InstanceId":"i-%d"},{"InstanceId":"i-%d","Device":"/dev/sdb"}]`, i, (i+1)%n),
			`,"Attachments":[{"Device":"/dev/sdc"}]`,
			fmt.Sprintf(`,"Attachments":[{"InstanceId":"i-%d","Device":"x"},{"InstanceId":"i-b"}],"attachments":[{"Device":"y"}]`, i))
		volumes = append(volumes, pick(
			fmt.Sprintf(`{"VolumeId":%q,"Size":8,"Iops":3000,"State":"in-use","Encrypted":true,"KmsKeyId":"arn:aws:kms:us-east-1:111111111111:key/k","CreateTime":"2024-01-01T00:00:00Z"%s%s}`, id("vol"), attach, extra),
			fmt.Sprintf(`{"volumeid":%q%s}`, id("vol"), attach)))
		instances = append(instances, pick(
			fmt.Sprintf(`{"InstanceId":"i-%d","State":{"Name":"running"},"RootDeviceName":"/dev/xvda","BlockDeviceMappings":[{"DeviceName":"/dev/xvda","Ebs":{"VolumeId":"vol-%d","Status":"attached"}}]%s}`, i, rng.IntN(n), extra),
			fmt.Sprintf(`{"InstanceId":"i-%d","BlockDeviceMappings":[{"DeviceName":"/dev/sdf"},{"DeviceName":"/dev/sdg","Ebs":null},{"deviceName":"/dev/sdh","ebs":{"volumeId":"vol-%d"}}]}`, i, rng.IntN(n)),
			fmt.Sprintf(`{"InstanceId":"i-%d","LaunchTime":"2024-01-01T00:00:00Z"}`, i)))
		templates = append(templates, fmt.Sprintf(`{"LaunchTemplateId":"lt-%d","LaunchTemplateName":"web-%d","VersionNumber":%d,"DefaultVersion":%v,"LaunchTemplateData":{"ImageId":"ami-%d","BlockDeviceMappings":[{"DeviceName":"/dev/xvda","Ebs":{"Encrypted":true,"KmsKeyId":"alias/web"}}]}%s}`,
			i%(n/3+1), i%(n/3+1), i/(n/3+1)+1, rng.IntN(3) == 0, i, extra))
		tasks = append(tasks, fmt.Sprintf(`{"ReplaceRootVolumeTaskId":%q,"InstanceId":"i-%d","TaskState":%q,"StartTime":"2026-11-20T10:04:11Z","SnapshotId":"snap-%d"}`,
			id("replacevol"), rng.IntN(n), pick("pending", "succeeded"), i))
		importSnaps = append(importSnaps, fmt.Sprintf(`{"ImportTaskId":%q,"SnapshotTaskDetail":{"DiskImageSize":8589934592.0,"Format":"VMDK","Status":"completed","SnapshotId":"snap-%d"}}`, id("import-snap"), i))
		importImages = append(importImages, fmt.Sprintf(`{"ImportTaskId":%q,"Status":"completed","ImageId":"ami-%d","SnapshotDetails":[{"DeviceName":"/dev/sda1","SnapshotId":"snap-%d"}]}`, id("import-ami"), i, i))
	}
	list := func(xs []string) string { return "[" + strings.Join(xs, ","+ws()) + "]" }
	return fmt.Appendf(nil, `{"accounts":{%q:{%q:{
 "ebsEncryptionByDefault":true,"ebsDefaultKmsKeyId":"alias/ebs",
 "keys":[{"KeyId":"k","Arn":"arn:aws:kms:us-east-1:111111111111:key/k","Aliases":["alias/ebs"]}],
 "images":%s,
 "snapshots":%s,
 "volumes":%s,
 "instances":%s,
 "launchTemplateVersions":%s,
 "replaceRootVolumeTasks":%s,
 "importSnapshotTasks":%s,
 "importImageTasks":%s,
 "later":[{"afterCalls":1,"images":[{"ImageId":"ami-later","State":"available"}],"volumes":[{"VolumeId":"vol-later","Attachments":[{"InstanceId":"i-1"}]}],"removed":["ami-2"]}]
}, "eu-west-1":{"images":[{"ImageId":"ami-eu"}],"volumes":null,"snapshots":[]}}, "222222222222":null}}`,
		lazyAccount, lazyRegionName, list(images), list(snapshots), list(volumes), list(instances), list(templates), list(tasks), list(importSnaps), list(importImages))
}

// straightforward decodes a world as encoding/json does, into the typed
// fields: what the lazy path must answer as.
func straightforward(t testing.TB, doc []byte) *World {
	t.Helper()
	var w World
	if err := json.Unmarshal(doc, &w); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	return &w
}

// call is one describe call and its answer, comparable.
type answer struct {
	Out any
	Err string
}

// askAll asks the EC2 view every lookup the Region's resources allow (and
// some for what it lacks), in order.
func askAll(t testing.TB, e *EC2, ref *Region) []answer {
	ctx := context.Background()
	var out []answer
	ask := func(o any, err error) {
		a := answer{Out: o}
		if err != nil {
			a.Out, a.Err = nil, err.Error()
		}
		out = append(out, a)
	}
	filter := func(name string, values ...string) []ec2types.Filter {
		return []ec2types.Filter{{Name: aws.String(name), Values: values}}
	}
	ids := func(f func(i int) *string, n int) []string {
		var ids []string
		for i := range n {
			if id := aws.ToString(f(i)); id != "" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		return append(ids, "missing-1")
	}
	imageIDs := ids(func(i int) *string { return ref.Images[i].ImageId }, len(ref.Images))
	for _, id := range imageIDs {
		ask(e.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}}))
	}
	ask(e.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: imageIDs[:min(3, len(imageIDs)-1)]}))
	ask(e.DescribeImages(ctx, &ec2.DescribeImagesInput{}))
	snapIDs := ids(func(i int) *string { return ref.Snapshots[i].SnapshotId }, len(ref.Snapshots))
	for _, id := range snapIDs {
		ask(e.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{id}}))
	}
	ask(e.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{}))
	for _, d := range []string{"", "d-0", "d-1", "d-4", "d-6", "none"} {
		ask(e.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{Filters: filter("description", d)}))
		ask(e.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{Filters: append(filter("description", d), filter("owner-id", "222222222222")...)}))
	}
	ask(e.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{Filters: filter("owner-id", "222222222222")}))
	ask(e.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{Filters: filter("snapshot-id", snapIDs[0])}))
	volIDs := ids(func(i int) *string { return ref.Volumes[i].VolumeId }, len(ref.Volumes))
	for _, id := range volIDs {
		ask(e.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{id}}))
	}
	ask(e.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{}))
	ask(e.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: filter("volume-id", volIDs[0], volIDs[1])}))
	instIDs := ids(func(i int) *string { return ref.Instances[i].InstanceId }, len(ref.Instances))
	for _, id := range append(instIDs, "i-b", "") {
		ask(e.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: filter("attachment.instance-id", id)}))
		ask(e.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}))
		ask(e.DescribeReplaceRootVolumeTasks(ctx, &ec2.DescribeReplaceRootVolumeTasksInput{Filters: filter("instance-id", id)}))
	}
	ask(e.DescribeInstances(ctx, &ec2.DescribeInstancesInput{}))
	for i := range len(ref.LaunchTemplateVersions) / 3 {
		for _, v := range [][]string{nil, {"$Default"}, {"$Latest"}, {"1"}, {"3"}} {
			ask(e.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(fmt.Sprintf("lt-%d", i)), Versions: v}))
			ask(e.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: aws.String(fmt.Sprintf("web-%d", i)), Versions: v}))
		}
	}
	ask(e.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String("lt-missing")}))
	for _, id := range ids(func(i int) *string { return ref.ReplaceRootVolumeTasks[i].ReplaceRootVolumeTaskId }, len(ref.ReplaceRootVolumeTasks)) {
		ask(e.DescribeReplaceRootVolumeTasks(ctx, &ec2.DescribeReplaceRootVolumeTasksInput{ReplaceRootVolumeTaskIds: []string{id}}))
	}
	ask(e.DescribeReplaceRootVolumeTasks(ctx, &ec2.DescribeReplaceRootVolumeTasksInput{}))
	for _, id := range ids(func(i int) *string { return ref.ImportSnapshotTasks[i].ImportTaskId }, len(ref.ImportSnapshotTasks)) {
		ask(e.DescribeImportSnapshotTasks(ctx, &ec2.DescribeImportSnapshotTasksInput{ImportTaskIds: []string{id}}))
	}
	ask(e.DescribeImportSnapshotTasks(ctx, &ec2.DescribeImportSnapshotTasksInput{}))
	for _, id := range ids(func(i int) *string { return ref.ImportImageTasks[i].ImportTaskId }, len(ref.ImportImageTasks)) {
		ask(e.DescribeImportImageTasks(ctx, &ec2.DescribeImportImageTasksInput{ImportTaskIds: []string{id}}))
	}
	ask(e.DescribeImportImageTasks(ctx, &ec2.DescribeImportImageTasksInput{}))
	return out
}

func sameAnswers(t *testing.T, what string, got, want []answer) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d answers; want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			if bad++; bad <= 3 {
				t.Errorf("%s: answer %d = %s; want %s", what, i, js(got[i]), js(want[i]))
			}
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d answers differ", what, bad)
	}
}

// exported are a Region's exported fields, to compare.
func exported(r *Region) Region {
	if r == nil {
		return Region{}
	}
	out := *r
	out.index, out.lazy = nil, nil
	return out
}

// A world loaded lazily answers every lookup as the same world decoded by
// encoding/json, and Decode fills its fields as encoding/json does, on a
// world whose resources come in every shape genWorld writes; so does one
// loaded by Load and Parse. The file is large enough to be mapped.
func TestLazyAnswersAsDecoded(t *testing.T) {
	doc := genWorld(rand.New(rand.NewPCG(7, 17)), 1500)
	if len(doc) < mapMin {
		t.Fatalf("the world is %d bytes; want at least %d, to be mapped", len(doc), mapMin)
	}
	path := filepath.Join(t.TempDir(), "world.json")
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	ref := straightforward(t, doc)
	refRegion := ref.Accounts[lazyAccount][lazyRegionName]
	want := askAll(t, ref.EC2View(lazyAccount, lazyRegionName), refRegion)

	loaders := map[string]func() (*World, error){
		"LoadLazy":  func() (*World, error) { return LoadLazy(path) },
		"ParseLazy": func() (*World, error) { return ParseLazy(bytes.NewReader(doc)) },
		"Load":      func() (*World, error) { return Load(path) },
		"Parse":     func() (*World, error) { return Parse(bytes.NewReader(doc)) },
	}
	for name, load := range loaders {
		t.Run(name, func(t *testing.T) {
			w, err := load()
			if err != nil {
				t.Fatal(err)
			}
			lazy := strings.HasSuffix(name, "Lazy")
			if r := w.Accounts[lazyAccount][lazyRegionName]; lazy != (r.lazy != nil) || lazy != (r.Volumes == nil) {
				t.Fatalf("lists held lazily: %v, in the fields: %v", r.lazy != nil, r.Volumes != nil)
			}
			sameAnswers(t, name, askAll(t, w.EC2View(lazyAccount, lazyRegionName), refRegion), want)
			var mapped uintptr // the file's mapping, if it is mapped
			if r := w.Accounts[lazyAccount][lazyRegionName]; r.lazy != nil && runtime.GOOS == "linux" && name == "LoadLazy" {
				mapped = reflect.ValueOf(volumes.of(r).lazy.src.b).Pointer()
			}
			if err := w.Decode(); err != nil {
				t.Fatal(err)
			}
			if mapped != 0 {
				// Decoded, the world no longer needs its file: once
				// unmapped, everything it answers is its own.
				for deadline := time.Now().Add(10 * time.Second); ; {
					if _, ok := unmapped.Load(mapped); ok {
						break
					}
					if time.Now().After(deadline) {
						t.Fatal("the world's file is still mapped, decoded and collected")
					}
					runtime.GC()
					time.Sleep(time.Millisecond)
				}
			}
			// Decoded, it answers the same again, from its index.
			sameAnswers(t, name+" decoded", askAll(t, w.EC2View(lazyAccount, lazyRegionName), refRegion), want)
		})
	}
}

// Concurrent evaluations share a lazily loaded world: the same lookups
// from many goroutines at once (run with -race) answer as one does alone.
func TestLazyConcurrentLookups(t *testing.T) {
	doc := genWorld(rand.New(rand.NewPCG(8, 18)), 300)
	ref := straightforward(t, doc)
	refRegion := ref.Accounts[lazyAccount][lazyRegionName]
	want := askAll(t, ref.EC2View(lazyAccount, lazyRegionName), refRegion)
	w, err := ParseLazy(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([][]answer, 6)
	for i := range got {
		wg.Go(func() { got[i] = askAll(t, w.EC2View(lazyAccount, lazyRegionName), refRegion) })
	}
	wg.Wait()
	for i := range got {
		sameAnswers(t, fmt.Sprintf("goroutine %d", i), got[i], want)
	}
}

// A live view of a lazily loaded world (localaws) applies its later entries
// as one of the decoded world does.
func TestLazyLive(t *testing.T) {
	doc := genWorld(rand.New(rand.NewPCG(9, 19)), 30)
	ref := straightforward(t, doc)
	w, err := ParseLazy(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Unix(0, 0)
	now := func() time.Time { return start }
	refRegion := ref.Accounts[lazyAccount][lazyRegionName]
	for round := range 3 {
		want := askAll(t, ref.Live(now).EC2View(lazyAccount, lazyRegionName), refRegion)
		sameAnswers(t, fmt.Sprintf("live, round %d", round), askAll(t, w.Live(now).EC2View(lazyAccount, lazyRegionName), refRegion), want)
	}
}

// Record keeps a read in a lazily loaded Region as in a decoded one: its
// lists are decoded first.
func TestLazyRecord(t *testing.T) {
	doc := genWorld(rand.New(rand.NewPCG(10, 20)), 50)
	ref := straightforward(t, doc)
	w, err := ParseLazy(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	out := &ec2.DescribeVolumesOutput{Volumes: []ec2types.Volume{{VolumeId: aws.String("vol-3"), Size: aws.Int32(99)}, {VolumeId: aws.String("vol-new")}}}
	for _, r := range []*Region{ref.Accounts[lazyAccount][lazyRegionName], w.Accounts[lazyAccount][lazyRegionName]} {
		if !r.Record(&ec2.DescribeVolumesInput{}, out) {
			t.Fatal("Record does not keep DescribeVolumes")
		}
	}
	got, want := exported(w.Accounts[lazyAccount][lazyRegionName]), exported(ref.Accounts[lazyAccount][lazyRegionName])
	if !reflect.DeepEqual(got, want) {
		t.Errorf("recorded Region differs:\n%s\nwant\n%s", js(got), js(want))
	}
}
