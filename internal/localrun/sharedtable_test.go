package localrun

import (
	"context"
	"testing"
	"time"

	"github.com/ebsguard/ebsguard/lambda/delivery"
	"github.com/ebsguard/ebsguard/lambda/noticewindow"
)

// The notice windows live in the delivery table (issue 19 item 3): against a
// real DynamoDB implementation, the windows' update and condition
// expressions run on the ledger's table, a window and a delivery of the same
// instant never meet, and the ledger's list of an event's published
// deliveries never holds a window, even for an event whose ID looks like a
// window's partition key.
func TestNoticeWindowsInDeliveryTable(t *testing.T) {
	d := startDynalite(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 6, 10, 20, 0, 0, time.UTC)
	ledger := delivery.NewTable(d.Client(), DeliveryTable, 5*time.Minute, 52*time.Hour, func() time.Time { return now })
	windows := noticewindow.NewTable(d.Client(), DeliveryTable, time.Hour)
	k := noticewindow.Key{Account: "111122223333", Region: "us-east-1", Class: "reader-role"}
	// An event ID made to look like the window's partition key.
	tricky := "notice-window#111122223333#us-east-1#reader-role"

	for i, id := range []string{"e-1", "e-2", "e-1", tricky} {
		st, err := windows.Note(ctx, k, id, []byte(`{"eventID":"e-1"}`), now.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatalf("note %s: %v", id, err)
		}
		if want := map[int]int{0: 1, 1: 2, 2: 2, 3: 3}[i]; st.Count != want || st.FirstEventID != "e-1" {
			t.Fatalf("note %d (%s): count %d first %q; want %d, e-1", i, id, st.Count, st.FirstEventID, want)
		}
	}
	if err := windows.Scheduled(ctx, k, now.Truncate(time.Hour), now); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"e-1", tricky} {
		keys := []delivery.Key{{EventID: id, Resource: "vol-1", Code: "UNENCRYPTED"}, delivery.NoticeKey(id, "reader-role")}
		c, err := ledger.Claim(ctx, keys)
		if err != nil || len(c.Admitted) != 2 {
			t.Fatalf("claim of %s beside a window = %+v, %v; want both admitted", id, c, err)
		}
		if err := ledger.Confirm(ctx, keys); err != nil {
			t.Fatal(err)
		}
		got, err := ledger.Published(ctx, id)
		if err != nil || len(got) != 2 {
			t.Errorf("published of %s = %v, %v; want its two deliveries, no window", id, got, err)
		}
	}
	st, ok, err := windows.Close(ctx, k, now.Truncate(time.Hour), now.Add(time.Hour))
	if err != nil || !ok || st.Count != 3 || st.LastEventID != tricky {
		t.Fatalf("close = %+v, %v, %v; want count 3, last %q", st, ok, err, tricky)
	}
	if _, ok, err := windows.Close(ctx, k, now.Truncate(time.Hour), now.Add(time.Hour)); ok || err != nil {
		t.Errorf("second close = %v, %v; want nothing to claim", ok, err)
	}
	if _, err := windows.Note(ctx, k, "e-3", []byte(`{}`), now.Add(30*time.Minute)); err != noticewindow.ErrClosed {
		t.Errorf("note after the close: %v; want ErrClosed", err)
	}
}
