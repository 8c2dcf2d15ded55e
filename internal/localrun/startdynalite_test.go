package localrun

import (
	"context"
	"net"
	"os"
	"testing"
	"time"
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
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := StartDynamoDB(ctx, cli)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// A port taken between its pick and dynalite's bind is given up for another
// (see TestStartFunctionWhenAPortIsTaken): the table is created on the
// DynamoDB that StartDynamoDB returns, not on whatever held the port.
func TestStartDynamoDBWhenThePortIsTaken(t *testing.T) {
	other, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	picks := 0
	pickPort = func() (string, error) {
		picks++
		if picks == 1 {
			return other.Addr().String(), nil
		}
		return freePort()
	}
	defer func() { pickPort = freePort }()
	d := startDynalite(t)
	if picks < 2 || d.URL == "http://"+other.Addr().String() {
		t.Fatalf("dynalite's URL %s, after %d picks: the taken port was not given up", d.URL, picks)
	}
}
