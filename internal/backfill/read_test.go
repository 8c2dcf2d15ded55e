package backfill

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// fakeS3 serves gzip log files; the first objects answer last.
type fakeS3 struct{ objects map[string][]byte }

func (f fakeS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	b, ok := f.objects[aws.ToString(in.Key)]
	if !ok {
		return nil, errors.New("NoSuchKey")
	}
	k := aws.ToString(in.Key)
	time.Sleep(time.Duration(10-int(k[len(k)-1]-'0')) * 3 * time.Millisecond)
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b))}, nil
}

func (f fakeS3) ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	return &s3.ListObjectsV2Output{}, nil
}

func logFile(records ...string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	fmt.Fprintf(zw, `{"Records":[%s]}`, strings.Join(records, ","))
	zw.Close()
	return b.Bytes()
}

func record(id, name string) string {
	return fmt.Sprintf(`{"eventVersion":"1.09","eventID":%q,"eventName":%q,"eventSource":"ec2.amazonaws.com","eventTime":"2024-01-01T00:00:00Z","awsRegion":"us-east-1","recipientAccountId":"111111111111"}`, id, name)
}

// Read picks exactly the named records, in the order of the objects and of
// their records whatever order the downloads end in, counts every byte
// downloaded, and reports an object it cannot read and an event its object
// lacks.
func TestRead(t *testing.T) {
	api := fakeS3{objects: map[string][]byte{
		"k1": logFile(record("a1", "RunInstances"), record("n1", "DescribeInstances"), record("a2", "RunInstances"), record("x1", "CreateVolume")),
		"k2": logFile(record("b1", "CopyImage")),
		"k3": logFile(record("c1", "CopySnapshot"), record("c2", "CreateVolume")),
	}}
	var total int64
	for _, b := range api.objects {
		total += int64(len(b))
	}
	objects := Objects([]Hit{{"a2", "b", "k1"}, {"a1", "b", "k1"}, {"b1", "b", "k2"}, {"c2", "b", "k3"}, {"c1", "b", "k3"}, {"gone", "b", "k3"}, {"z", "b", "k4"}})
	out := make(chan Picked)
	var st ReadStats
	go Read(context.Background(), api, objects, []string{"RunInstances", "CopyImage", "CreateVolume", "CopySnapshot"}, 4, &st, out)
	var got []string
	var errs []string
	for p := range out {
		if p.Item.Err != nil {
			errs = append(errs, p.Object)
			continue
		}
		got = append(got, string(p.Item.Record.EventID))
	}
	if want := []string{"a1", "a2", "b1", "c1", "c2"}; !slices.Equal(got, want) {
		t.Errorf("picked %v, want %v", got, want)
	}
	if !slices.Equal(errs, []string{"s3://b/k4"}) {
		t.Errorf("errors for %v, want s3://b/k4", errs)
	}
	if st.Bytes.Load() != total || st.Objects.Load() != 3 || st.Records.Load() != 5 || st.Missing.Load() != 1 || st.Total() != 4 {
		t.Errorf("stats: bytes %d (want %d), objects %d, records %d, missing %d, total %d", st.Bytes.Load(), total, st.Objects.Load(), st.Records.Load(), st.Missing.Load(), st.Total())
	}
}

// CloudTrail may deliver an event more than once, in one object or in two:
// the call is evaluated once (its first record, in the order of the keys),
// the repeats are counted, and an event the query named that its object
// lacks is reported even when another event of that object is repeated.
func TestReadDuplicates(t *testing.T) {
	api := fakeS3{objects: map[string][]byte{
		"k1": logFile(record("a1", "RunInstances"), record("a1", "RunInstances"), record("b1", "CopyImage")),
		"k2": logFile(record("a1", "RunInstances"), record("c1", "CreateVolume")),
	}}
	objects := Objects([]Hit{{"a1", "b", "k1"}, {"a1", "b", "k1"}, {"gone", "b", "k1"}, {"b1", "b", "k1"}, {"a1", "b", "k2"}, {"c1", "b", "k2"}})
	out := make(chan Picked)
	var st ReadStats
	go Read(context.Background(), api, objects, []string{"RunInstances", "CopyImage", "CreateVolume"}, 2, &st, out)
	var got []string
	for p := range out {
		if p.Item.Err != nil {
			t.Fatalf("error %v", p.Item.Err)
		}
		got = append(got, string(p.Item.Record.EventID))
	}
	if want := []string{"a1", "b1", "c1"}; !slices.Equal(got, want) {
		t.Errorf("picked %v, want %v", got, want)
	}
	if st.Records.Load() != 3 || st.Duplicates.Load() != 2 || st.Missing.Load() != 1 {
		t.Errorf("records %d (want 3), duplicates %d (want 2), missing %d (want 1)", st.Records.Load(), st.Duplicates.Load(), st.Missing.Load())
	}
}
