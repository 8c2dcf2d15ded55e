package localrun

import (
	"context"
	"testing"
)

// startDynalite starts a DynamoDB on dynalite for one test, stopped when the
// test ends; it skips the test when dynalite is not installed.
func startDynalite(t *testing.T) *DynamoDB {
	t.Helper()
	cli := FindDynalite(".")
	if cli == "" {
		t.Skip("dynalite is not installed (make dynalite)")
	}
	d, err := StartDynamoDB(context.Background(), cli)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
