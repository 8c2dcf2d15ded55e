package backfill

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// listS3 answers every month prefix with one object per day of 1 kB, after
// a delay; a prefix containing "fail" is refused. It records how many
// listings ran at once.
type listS3 struct {
	fakeS3
	now, most atomic.Int64
}

func (l *listS3) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	n := l.now.Add(1)
	defer l.now.Add(-1)
	for m := l.most.Load(); n > m && !l.most.CompareAndSwap(m, n); m = l.most.Load() {
	}
	time.Sleep(5 * time.Millisecond)
	p := aws.ToString(in.Prefix)
	if strings.Contains(p, "fail") {
		return nil, errors.New("AccessDenied")
	}
	var out s3.ListObjectsV2Output
	for d := 1; d <= 28; d++ {
		out.Contents = append(out.Contents, s3types.Object{Key: aws.String(p + twoDigits(d) + "/f.json.gz"), Size: aws.Int64(1000)})
	}
	return &out, nil
}

func twoDigits(d int) string { return string(rune('0'+d/10)) + string(rune('0'+d%10)) }

// Years of an organization are thousands of prefixes: they are listed
// several at once, and the sizes come back in the order of the prefixes;
// a refused listing is the error.
func TestSizes(t *testing.T) {
	p := Plan{Window: Window{Start: jan, End: jan.AddDate(2, 0, 0)}, Accounts: []string{"111111111111", "222222222222"}, Regions: []string{"us-east-1", "eu-west-1"}}
	prefixes, err := p.Prefixes(TableInfo{Template: "s3://b/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${timestamp}"})
	if err != nil {
		t.Fatal(err)
	}
	if len(prefixes) != 2*2*25 { // 24 months and the slack day's month
		t.Fatalf("%d prefixes, want 100", len(prefixes))
	}
	api := &listS3{}
	sizes, err := Sizes(context.Background(), api, prefixes, 8)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for i, s := range sizes {
		if s.Prefix != prefixes[i] {
			t.Fatalf("size %d is of %s, want %s", i, s.Prefix.Prefix, prefixes[i].Prefix)
		}
		total += s.Bytes
	}
	// Every day of 24 months (28 listed per month) and 2026/01/01.
	if want := int64(2 * 2 * (24*28 + 1) * 1000); total != want {
		t.Errorf("total %d bytes, want %d", total, want)
	}
	if m := api.most.Load(); m < 2 || m > 8 {
		t.Errorf("%d listings at once, want 2 to 8", m)
	}
	prefixes[37].Prefix = "fail/" + prefixes[37].Prefix
	if _, err := Sizes(context.Background(), &listS3{}, prefixes, 8); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("a refused listing: error %v, want AccessDenied", err)
	}
}
