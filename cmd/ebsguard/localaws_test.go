package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ebsguard/ebsguard/internal/localaws"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// The organization of the end-to-end tests: the security account that runs
// the CLI manages it; two member accounts, two Regions each, hold the
// samples.
const securityAccount = "444444444444"

type slot struct{ account, region string }

var slots = []slot{{"222222222222", "us-east-1"}, {"222222222222", "eu-west-1"}, {"333333333333", "us-east-1"}, {"333333333333", "eu-west-1"}}

// placedSample is a sample moved to a slot: its record's ID and its
// expected verdict, moved alike.
type placedSample struct {
	name    string
	slot    slot
	eventID string
	want    string // the verdict line of want.json
}

// swap exchanges two strings throughout s.
func swap(s, a, b string) string {
	if a == b {
		return s
	}
	const mark = "\x00swap\x00"
	s = strings.ReplaceAll(s, a, mark)
	s = strings.ReplaceAll(s, b, a)
	return strings.ReplaceAll(s, mark, b)
}

// listIDs says which member identifies an element of each list of a
// Region, and which other members must not be shared by two elements
// (an alias or a template name resolving to two things).
var listIDs = map[string][]string{
	"keys": {"Arn", "KeyId"}, "images": {"ImageId"}, "snapshots": {"SnapshotId"}, "instances": {"InstanceId"},
	"volumes": {"VolumeId"}, "launchTemplateVersions": {"LaunchTemplateId"},
}

// merge adds a sample's views into the world's, and reports false (leaving
// views as they were) when they contradict: another encryption-by-default
// setting or default key, an ID with other content, an alias or launch
// template name that would name two things.
func merge(views map[string]map[string]map[string]any, add map[string]map[string]map[string]any) bool {
	next := map[string]map[string]map[string]any{}
	b, _ := json.Marshal(views)
	json.Unmarshal(b, &next)
	for acct, regions := range add {
		if next[acct] == nil {
			next[acct] = map[string]map[string]any{}
		}
		for region, fields := range regions {
			cur := next[acct][region]
			if cur == nil {
				cur = map[string]any{}
				next[acct][region] = cur
			}
			for _, f := range []struct {
				name string
				def  any
			}{{"ebsEncryptionByDefault", false}, {"ebsDefaultKmsKeyId", "alias/aws/ebs"}} {
				a, b := cur[f.name], fields[f.name]
				if a == nil {
					a = f.def
				}
				if b == nil {
					b = f.def
				}
				if !reflect.DeepEqual(a, b) {
					return false
				}
				cur[f.name] = a
			}
			for list, ids := range listIDs {
				have, _ := cur[list].([]any)
				adding, _ := fields[list].([]any)
				for _, x := range adding {
					xm := x.(map[string]any)
					dup := false
					for _, y := range have {
						ym := y.(map[string]any)
						if list == "launchTemplateVersions" && (xm["LaunchTemplateId"] == ym["LaunchTemplateId"]) != (xm["LaunchTemplateName"] == ym["LaunchTemplateName"]) {
							return false
						}
						same := false
						for _, id := range ids {
							if xm[id] != nil && xm[id] == ym[id] {
								same = true
							}
						}
						if list == "keys" && !same {
							for _, alias := range anyStrings(xm["Aliases"]) {
								if slices.Contains(anyStrings(ym["Aliases"]), alias) {
									return false
								}
							}
						}
						if same {
							if list == "launchTemplateVersions" && !reflect.DeepEqual(xm["VersionNumber"], ym["VersionNumber"]) {
								return false // another version would change $Latest or $Default
							}
							if !reflect.DeepEqual(xm, ym) {
								return false
							}
							dup = true
						}
					}
					if !dup {
						have = append(have, x)
					}
				}
				if len(have) > 0 {
					cur[list] = have
				}
			}
			for k := range fields {
				if _, ok := listIDs[k]; !ok && k != "ebsEncryptionByDefault" && k != "ebsDefaultKmsKeyId" {
					return false // a field this merge does not know
				}
			}
		}
	}
	for k := range views {
		delete(views, k)
	}
	for k, v := range next {
		views[k] = v
	}
	return true
}

func anyStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

var resourceID = regexp.MustCompile(`\b(ami|snap|vol|i|lt)-[0-9a-f]{8,17}\b`)

// auditWorld builds one world from the samples: each sample, with resource
// IDs of its own, is moved (its account and its Region swapped for a slot's
// throughout its world, record and expected verdict) to a slot where its
// account state agrees with the samples already there (the slots tried in
// turn, from a different one each time), and its record becomes an event of
// that account and Region's history. Samples with their own policy are left out
// (an audit has one policy), and so is a sample no slot can take. recent
// moves every event to the last day, for --since 90d.
func auditWorld(t *testing.T, recent bool) (*world.World, []placedSample) {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(samplesDir, "*", "event.json"))
	views := map[string]map[string]map[string]any{}
	events := map[slot][]json.RawMessage{}
	var placed []placedSample
	now := time.Now().UTC()
	for i, ev := range dirs {
		dir := filepath.Dir(ev)
		if _, err := os.Stat(filepath.Join(dir, "policy.json")); err == nil {
			continue
		}
		read := func(name string) string {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		wd, evText, want := read("world.json"), read("event.json"), strings.TrimSpace(read("want.json"))
		// The samples reuse resource IDs (every launch starts
		// i-0b1100000000000a1): each gets its own, so that one sample's
		// volumes are not another's instance's.
		own := func(s string) string {
			return resourceID.ReplaceAllStringFunc(s, func(id string) string {
				prefix, hex, _ := strings.Cut(id, "-")
				return fmt.Sprintf("%s-%02x%s", prefix, i, hex)
			})
		}
		wd, evText, want = own(wd), own(evText), own(want)
		var env struct {
			Detail json.RawMessage `json:"detail"`
		}
		json.Unmarshal([]byte(evText), &env)
		if len(env.Detail) == 0 {
			continue // a sample of several records (a log file): replay's, not an audit's
		}
		var rec struct{ RecipientAccountID, AWSRegion string }
		json.Unmarshal(env.Detail, &struct {
			A *string `json:"recipientAccountId"`
			R *string `json:"awsRegion"`
		}{&rec.RecipientAccountID, &rec.AWSRegion})
		// Starting one slot further each time, so that every account and
		// Region gets samples.
		for k := range slots {
			s := slots[(i+k)%len(slots)]
			move := func(x string) string {
				return swap(swap(x, rec.RecipientAccountID, s.account), rec.AWSRegion, s.region)
			}
			var w struct {
				Accounts map[string]map[string]map[string]any `json:"accounts"`
			}
			if err := json.Unmarshal([]byte(move(wd)), &w); err != nil {
				t.Fatal(err)
			}
			if !merge(views, w.Accounts) {
				continue
			}
			detail := []byte(move(string(env.Detail)))
			var m map[string]any
			json.Unmarshal(detail, &m)
			if recent {
				m["eventTime"] = now.Add(-time.Hour - time.Duration(i)*time.Second).Format(time.RFC3339)
			}
			detail, _ = json.Marshal(m)
			events[s] = append(events[s], detail)
			placed = append(placed, placedSample{name: filepath.Base(dir), slot: s, eventID: m["eventID"].(string), want: move(want)})
			break
		}
	}
	doc := map[string]any{}
	accounts := map[string]any{securityAccount: map[string]any{"us-east-1": map[string]any{}, "eu-west-1": map[string]any{}}}
	for acct, regions := range views {
		rs := map[string]any{}
		for region, fields := range regions {
			rs[region] = fields
		}
		accounts[acct] = rs
	}
	for s, evs := range events {
		r := accounts[s.account].(map[string]any)
		if r[s.region] == nil {
			r[s.region] = map[string]any{}
		}
		r[s.region].(map[string]any)["events"] = evs
	}
	doc["accounts"] = accounts
	doc["organization"] = map[string]any{"id": "o-abc123def4", "managementAccountId": securityAccount, "accounts": []map[string]any{
		{"Id": securityAccount, "Name": "security", "State": "ACTIVE", "Status": "ACTIVE"},
		{"Id": "222222222222", "Name": "build", "State": "ACTIVE", "Status": "ACTIVE"},
		{"Id": "333333333333", "Name": "prod", "State": "ACTIVE", "Status": "ACTIVE"},
		{"Id": "555555555555", "Name": "closed", "State": "SUSPENDED", "Status": "SUSPENDED"},
	}}
	b, _ := json.Marshal(doc)
	w, err := world.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return w, placed
}

// startLocal serves w on 127.0.0.1 for the test, and points the SDK's
// standard variables at it, calling as the security account. opts configure
// the server before it starts.
func startLocal(t *testing.T, w *world.World, opts ...func(*localaws.Server)) *localaws.Server {
	t.Helper()
	s := localaws.New(w, securityAccount)
	for _, o := range opts {
		o(s)
	}
	if err := s.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, svc := range []string{"EC2", "KMS", "STS", "CLOUDTRAIL", "ORGANIZATIONS", "SECURITYHUB"} {
		t.Setenv("AWS_ENDPOINT_URL_"+svc, s.URL())
	}
	t.Setenv("AWS_ACCESS_KEY_ID", localaws.AccessKeyFor(securityAccount))
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return s
}

// cli runs the CLI as a user would, in-process.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}
