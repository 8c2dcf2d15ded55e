// Package orgtrail writes an organization trail as CloudTrail lays it out in
// its bucket, AWSLogs/o-ORG/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/*.json.gz,
// over several accounts, Regions and days, with the world its relevant
// records are evaluated against: for the backfill's end-to-end test, `make
// backfill-local` and the bench. The output is deterministic.
//
// Most records are noise (about 1.3 KB each, other services and calls,
// read-only EC2 calls among them). The relevant ones are copies of sample
// events (events/samples/NAME), each account and Region getting one sample
// with the account ID and Region rewritten in the record and in the sample's
// world. As in a real trail, where launches come in bursts, the relevant
// records sit in a share of the files (HotFiles) rather than in all.
package orgtrail

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Options describe the trail.
type Options struct {
	Org      string      // o-...
	Accounts []string    // 12-digit IDs
	Regions  []string    // Region names
	Days     []time.Time // the days with logs (UTC)
	// FilesPerDay log files per account, Region and day, RecordsPerFile
	// records each.
	FilesPerDay, RecordsPerFile int
	// Relevant is the share of all records that are relevant; HotFiles the
	// share of files that hold them (0: every file).
	Relevant, HotFiles float64
	// SamplesDir and Samples name the sample events (single account and
	// Region, 222222222222 in us-east-1) that relevant records copy.
	SamplesDir string
	Samples    []string
	Seed       uint64
}

// Summary is what was written.
type Summary struct {
	Files, Records, Relevant int64
	Bytes                    int64 // gzip, as stored
	World                    []byte
}

const (
	sampleAccount = "222222222222"
	sampleRegion  = "us-east-1"
)

type sample struct {
	event string // the CloudTrail record (EventBridge detail), as JSON
	world map[string]map[string]json.RawMessage
}

// Write writes the trail under root (the bucket's folder) and returns the
// world as JSON.
func Write(root string, o Options) (Summary, error) {
	var sum Summary
	if len(o.Accounts) == 0 || len(o.Regions) == 0 || len(o.Days) == 0 || o.FilesPerDay < 1 || o.RecordsPerFile < 1 || len(o.Samples) == 0 {
		return sum, fmt.Errorf("orgtrail: name accounts, Regions, days, samples, and at least one file of one record")
	}
	if o.HotFiles <= 0 || o.HotFiles > 1 {
		o.HotFiles = 1
	}
	samples := make([]sample, len(o.Samples))
	for i, name := range o.Samples {
		s, err := loadSample(filepath.Join(o.SamplesDir, name))
		if err != nil {
			return sum, err
		}
		samples[i] = s
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x0a7e4a))
	world := map[string]map[string]json.RawMessage{}
	// The rate of relevant records within a hot file.
	hotRate := min(1, o.Relevant/o.HotFiles)
	combo, fileIndex := 0, 0
	for _, acct := range o.Accounts {
		for _, region := range o.Regions {
			s := samples[combo%len(samples)]
			combo++
			rewrite := strings.NewReplacer(sampleAccount, acct, sampleRegion, region)
			event := rewrite.Replace(s.event)
			for _, view := range s.world {
				if world[acct] == nil {
					world[acct] = map[string]json.RawMessage{}
				}
				for _, v := range view {
					world[acct][region] = json.RawMessage(rewrite.Replace(string(v)))
				}
			}
			for _, day := range o.Days {
				dir := filepath.Join(root, "AWSLogs", o.Org, acct, "CloudTrail", region, day.Format("2006/01/02"))
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return sum, err
				}
				for f := range o.FilesPerDay {
					at := day.Add(time.Duration(f) * 24 * time.Hour / time.Duration(o.FilesPerDay))
					// Hot files are spread evenly: the share is exact.
					rate := 0.0
					if i := float64(fileIndex); math.Floor((i+1)*o.HotFiles) > math.Floor(i*o.HotFiles) {
						rate = hotRate
					}
					fileIndex++
					name := fmt.Sprintf("%s_CloudTrail_%s_%sZ_%016x.json.gz", acct, region, at.Format("20060102T1504"), rng.Uint64())
					n, rel, size, err := writeLog(filepath.Join(dir, name), rng, o.RecordsPerFile, rate, event, acct, region, at)
					if err != nil {
						return sum, err
					}
					sum.Files++
					sum.Records += n
					sum.Relevant += rel
					sum.Bytes += size
				}
			}
		}
	}
	var err error
	sum.World, err = json.MarshalIndent(map[string]any{"accounts": world}, "", "  ")
	return sum, err
}

func loadSample(dir string) (sample, error) {
	var s sample
	b, err := os.ReadFile(filepath.Join(dir, "event.json"))
	if err != nil {
		return s, err
	}
	var ev struct{ Detail json.RawMessage }
	if err := json.Unmarshal(b, &ev); err != nil || len(ev.Detail) == 0 {
		return s, fmt.Errorf("%s: not an EventBridge event with a detail: %v", dir, err)
	}
	s.event = string(ev.Detail)
	w, err := os.ReadFile(filepath.Join(dir, "world.json"))
	if err != nil {
		return s, err
	}
	var wf struct {
		Accounts map[string]map[string]json.RawMessage `json:"accounts"`
	}
	if err := json.Unmarshal(w, &wf); err != nil {
		return s, fmt.Errorf("%s/world.json: %w", dir, err)
	}
	if len(wf.Accounts) != 1 || wf.Accounts[sampleAccount] == nil || len(wf.Accounts[sampleAccount]) != 1 || wf.Accounts[sampleAccount][sampleRegion] == nil {
		return s, fmt.Errorf("%s: its world must hold %s in %s only", dir, sampleAccount, sampleRegion)
	}
	s.world = wf.Accounts
	return s, nil
}

// writeLog writes one log file of n records from time at on, each relevant
// with probability rate.
func writeLog(path string, rng *rand.Rand, n int, rate float64, event, acct, region string, at time.Time) (records, relevant, size int64, err error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, 0, err
	}
	zw := gzip.NewWriter(f)
	bw := bufio.NewWriterSize(zw, 64<<10)
	bw.WriteString(`{"Records":[`)
	for i := range n {
		if i > 0 {
			bw.WriteByte(',')
		}
		t := at.Add(time.Duration(i) * time.Second).UTC().Format(time.RFC3339)
		if rate > 0 && rng.Float64() < rate {
			var rec map[string]any
			json.Unmarshal([]byte(event), &rec)
			rec["eventID"] = uuid(rng)
			rec["eventTime"] = t
			b, _ := json.Marshal(rec)
			bw.Write(b)
			relevant++
		} else {
			bw.Write(noise(rng, acct, region, t))
		}
		records++
	}
	bw.WriteString("]}")
	if err := bw.Flush(); err != nil {
		return 0, 0, 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, 0, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, 0, 0, err
	}
	return records, relevant, st.Size(), f.Close()
}

// calls are the noise: calls of other services, and EC2 calls of other
// names (the query's event source predicate alone does not exclude them).
var calls = []struct{ source, name string }{
	{"sts.amazonaws.com", "AssumeRole"}, {"s3.amazonaws.com", "GetObject"}, {"kms.amazonaws.com", "Decrypt"},
	{"ec2.amazonaws.com", "DescribeInstances"}, {"ec2.amazonaws.com", "DescribeVolumes"}, {"logs.amazonaws.com", "PutLogEvents"},
	{"lambda.amazonaws.com", "Invoke"}, {"dynamodb.amazonaws.com", "GetItem"}, {"iam.amazonaws.com", "GetRole"},
	{"ec2.amazonaws.com", "TerminateInstances"}, {"sqs.amazonaws.com", "ReceiveMessage"}, {"ssm.amazonaws.com", "GetParameter"},
}

func noise(rng *rand.Rand, acct, region, t string) []byte {
	c := calls[rng.IntN(len(calls))]
	role := fmt.Sprintf("svc-%03d", rng.IntN(200))
	rec := map[string]any{
		"eventVersion": "1.09",
		"userIdentity": map[string]any{
			"type": "AssumedRole", "principalId": "AROA" + hex(rng, 16) + ":" + role, "arn": "arn:aws:sts::" + acct + ":assumed-role/" + role + "/" + hex(rng, 8),
			"accountId": acct, "accessKeyId": "ASIA" + hex(rng, 16),
			"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "principalId": "AROA" + hex(rng, 16),
				"arn": "arn:aws:iam::" + acct + ":role/" + role, "accountId": acct, "userName": role},
				"attributes": map[string]any{"creationDate": t, "mfaAuthenticated": "false"}},
		},
		"eventTime": t, "eventSource": c.source, "eventName": c.name, "awsRegion": region,
		"sourceIPAddress": fmt.Sprintf("10.%d.%d.%d", rng.IntN(256), rng.IntN(256), rng.IntN(256)),
		"userAgent":       "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.22 md/GOOS#linux md/GOARCH#amd64 api/" + c.name,
		"requestParameters": map[string]any{"resource": "arn:aws:" + strings.TrimSuffix(c.source, ".amazonaws.com") + ":" + region + ":" + acct + ":" + hex(rng, 24),
			"maxResults": rng.IntN(1000), "token": hex(rng, 64)},
		"responseElements": nil, "requestID": uuid(rng), "eventID": uuid(rng), "readOnly": true,
		"eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": acct, "eventCategory": "Management",
		"tlsDetails": map[string]any{"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": strings.Replace(c.source, "amazonaws.com", region+".amazonaws.com", 1)},
	}
	b, _ := json.Marshal(rec)
	return b
}

func hex(rng *rand.Rand, n int) string {
	const digits = "0123456789ABCDEF"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[rng.IntN(16)]
	}
	return string(b)
}

func uuid(rng *rand.Rand) string {
	h := strings.ToLower(hex(rng, 32))
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:]
}
