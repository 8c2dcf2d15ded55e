package localrun

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/ebsguard/ebsguard/lambda/delivery"
)

// The delivery table's claims against a real DynamoDB implementation: the
// conditional put admits once, a published key is done, a released one is
// admitted again, and a query lists what an event published.
func TestDeliveryTableOnDynalite(t *testing.T) {
	cli := FindDynalite(".")
	if cli == "" {
		if os.Getenv("CI") != "" {
			// CI installs it (.ci/run): a skip there would hide the only
			// test of the table against a real DynamoDB implementation.
			t.Fatal("dynalite is not installed: .ci/run runs make dynalite")
		}
		t.Skip("dynalite is not installed (make dynalite)")
	}
	ctx := context.Background()
	d, err := StartDynamoDB(ctx, cli)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	now := time.Now()
	tb := delivery.NewTable(d.Client(), DeliveryTable, 5*time.Minute, 52*time.Hour, func() time.Time { return now })
	a := delivery.Key{EventID: "e-1", Resource: "vol-1", Code: "UNENCRYPTED"}
	b := delivery.Key{EventID: "e-1", Resource: "vol-2", Code: "KEY_MISMATCH"}
	c, err := tb.Claim(ctx, []delivery.Key{a, b})
	if err != nil || len(c.Admitted) != 2 {
		t.Fatalf("first claim = %+v, %v; want both admitted", c, err)
	}
	if c, err = tb.Claim(ctx, []delivery.Key{a}); err != nil || len(c.Held) != 1 {
		t.Fatalf("claim within the lease = %+v, %v; want held", c, err)
	}
	if err := tb.Confirm(ctx, []delivery.Key{a}); err != nil {
		t.Fatal(err)
	}
	if err := tb.Release(ctx, []delivery.Key{b}); err != nil {
		t.Fatal(err)
	}
	if c, err = tb.Claim(ctx, []delivery.Key{a, b}); err != nil || len(c.Done) != 1 || len(c.Admitted) != 1 || c.Admitted[0] != b {
		t.Fatalf("after confirm and release = %+v, %v; want a done, b admitted", c, err)
	}
	now = now.Add(6 * time.Minute)
	if c, err = tb.Claim(ctx, []delivery.Key{b}); err != nil || len(c.Admitted) != 1 {
		t.Fatalf("claim after the lease = %+v, %v; want admitted", c, err)
	}
	got, err := tb.Published(ctx, "e-1")
	if err != nil || len(got) != 1 || got[0] != a {
		t.Errorf("Published = %v, %v; want [a]", got, err)
	}
}
