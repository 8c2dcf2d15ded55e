package verify

import "testing"

func TestChunks(t *testing.T) {
	ids := make([]string, 1001)
	got := chunks(ids, 200)
	if len(got) != 6 || len(got[0]) != 200 || len(got[5]) != 1 {
		t.Errorf("chunks(1001, 200) = %d chunks, the last of %d", len(got), len(got[len(got)-1]))
	}
	if len(chunks(nil, 200)) != 0 {
		t.Error("chunks of nothing")
	}
}
