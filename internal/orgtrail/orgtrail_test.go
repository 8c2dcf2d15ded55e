package orgtrail

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

var layout = regexp.MustCompile(`^AWSLogs/o-a1b2c3d4e5/(3100000000[0-9]{2})/CloudTrail/([a-z0-9-]+)/(2024/0[1-3]/[0-9]{2})/(3100000000[0-9]{2})_CloudTrail_([a-z0-9-]+)_(\d{8})T\d{4}Z_[0-9a-f]{16}\.json\.gz$`)

// The trail is laid out as CloudTrail lays it out, its world holds every
// account and Region, and the same options write the same bytes.
func TestWrite(t *testing.T) {
	o := Options{Org: "o-a1b2c3d4e5", Accounts: []string{"310000000001", "310000000002"}, Regions: []string{"us-east-1", "eu-west-1"},
		Days:        []time.Time{time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
		FilesPerDay: 2, RecordsPerFile: 50, Relevant: 0.1, HotFiles: 0.5,
		SamplesDir: filepath.Join("..", "..", "events", "samples"), Samples: []string{"launch-encrypted-shared", "volume-unencrypted-plain"}, Seed: 3}
	a, b := t.TempDir(), t.TempDir()
	sa, err := Write(a, o)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := Write(b, o)
	if err != nil {
		t.Fatal(err)
	}
	if sa.Files != 16 || sa.Records != 800 || sa.Relevant == 0 || sa.Relevant > 80 || !bytes.Equal(sa.World, sb.World) || sa.Bytes != sb.Bytes {
		t.Errorf("summaries %+v and %+v", sa, sb)
	}
	files := 0
	filepath.WalkDir(a, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		rel, _ := filepath.Rel(a, path)
		m := layout.FindStringSubmatch(filepath.ToSlash(rel))
		if m == nil || m[1] != m[4] || m[2] != m[5] || m[3] != m[6][:4]+"/"+m[6][4:6]+"/"+m[6][6:] {
			t.Errorf("key %s is not CloudTrail's", rel)
		}
		x, _ := os.ReadFile(path)
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs", rel)
		}
		return nil
	})
	if files != 16 {
		t.Errorf("%d files", files)
	}
	var w struct {
		Accounts map[string]map[string]json.RawMessage `json:"accounts"`
	}
	json.Unmarshal(sa.World, &w)
	for _, acct := range o.Accounts {
		for _, r := range o.Regions {
			if w.Accounts[acct][r] == nil {
				t.Errorf("the world lacks %s in %s", acct, r)
			}
		}
	}
}
