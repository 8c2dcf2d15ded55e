package verify_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// The Lambda reads EBD and DEF at first sight and carries them in the
// re-check messages: a re-check judges against them, not today's settings.
func TestRecheckUsesCarriedSettings(t *testing.T) {
	dir := filepath.Join(samplesRoot, "asof-def-known")
	w, err := world.Load(filepath.Join(dir, "world.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "event.json"))
	if err != nil {
		t.Fatal(err)
	}
	items := cloudtrail.DecodeAll(b)
	volume := items[len(items)-1] // the CreateVolume, without the settings records
	eng := verify.New(verify.Config{Clients: w})

	first := eng.Evaluate(t.Context(), volume)
	if first.Settings == nil || first.Settings.DEF != "alias/golden" || first.Settings.EBD == nil || *first.Settings.EBD {
		t.Fatalf("first look carries %+v; want today's EBD off and DEF alias/golden", first.Settings)
	}
	if !slices.Contains(first.Resources[0].Findings, rules.KeyMismatch) {
		t.Fatalf("today's DEF: findings %v; want KEY_MISMATCH (the volume is on the DEF of its time)", first.Resources[0].Findings)
	}
	off := false
	carried := &verify.CarriedSettings{EBD: &off, DEF: "alias/team"}
	v := eng.Recheck(t.Context(), volume, verify.Check{Attempt: 1, Settings: carried})
	if v.Status != verify.StatusCompliant {
		t.Errorf("re-check with the carried DEF alias/team: %s %v; want compliant", v.Status, v.Resources)
	}
	if v.Settings == nil || v.Settings.DEF != "alias/team" {
		t.Errorf("the re-check passes on %+v; want the carried settings", v.Settings)
	}
}
