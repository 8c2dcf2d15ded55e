package localrun

import (
	"context"
	"os"
	"testing"
)

// startDynalite starts a DynamoDB on dynalite for one test, stopped when the
// test ends; it skips the test when dynalite is not installed, and fails
// it under CI, which installs it.
func startDynalite(t *testing.T) *DynamoDB {
	t.Helper()
	cli := FindDynalite(".")
	if cli == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("dynalite is not installed: .ci/run runs make dynalite")
		}
		t.Skip("dynalite is not installed (make dynalite)")
	}
	d, err := StartDynamoDB(context.Background(), cli)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
