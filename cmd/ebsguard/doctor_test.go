package main

import (
	"strings"
	"testing"
	"time"

	"github.com/ebsguard/ebsguard/internal/deployment"
	"github.com/ebsguard/ebsguard/internal/localaws"
)

// doctorLocal starts localaws with two member accounts in two Regions, each
// with its forwarding rule, and points the EventBridge client at it too.
func doctorLocal(t *testing.T) *localaws.Server {
	t.Helper()
	w, _ := auditWorld(t, false)
	s := startLocal(t, w)
	t.Setenv("AWS_ENDPOINT_URL_EVENTBRIDGE", s.URL())
	for _, sl := range slots {
		s.SetRule(sl.account, sl.region, localaws.EventRule{Name: deployment.ForwardRuleName, State: "ENABLED", Targets: []string{centralBus}})
	}
	return s
}

const centralBus = "arn:aws:events:us-east-1:444444444444:event-bus/ebsguard"

var doctorArgs = []string{"doctor", "--accounts", "222222222222,333333333333", "--regions", "us-east-1,eu-west-1"}

// GIVEN a healthy organization WHEN the doctor runs THEN every member check
// passes and it exits 0.
func TestDoctorHealthy(t *testing.T) {
	s := doctorLocal(t)
	code, stdout, stderr := cli(t, doctorArgs...)
	if code != 0 {
		t.Fatalf("exit %d; want 0\n%s\n%s", code, stdout, stderr)
	}
	if got := strings.Count(stdout, " ok "); got != 8 {
		t.Errorf("%d checks ok; want 8 (two per account and Region):\n%s", got, stdout)
	}
	if !strings.Contains(stdout, "8 checks, 0 failed") {
		t.Errorf("no summary:\n%s", stdout)
	}
	counts := s.Counts()
	if counts["DescribeRule"] != 4 || counts["ListTargetsByRule"] != 4 || counts["GetEbsEncryptionByDefault"] != 4 {
		t.Errorf("calls %v; want a rule read and a reader probe per account and Region", counts)
	}
}

// GIVEN one member account whose forwarding rule is disabled in one Region
// WHEN the doctor runs THEN that row fails naming the fix, the others pass,
// and it exits 1.
func TestDoctorDisabledRule(t *testing.T) {
	s := doctorLocal(t)
	s.SetRule("333333333333", "eu-west-1", localaws.EventRule{Name: deployment.ForwardRuleName, State: "DISABLED", Targets: []string{centralBus}})
	s.SetRule("222222222222", "eu-west-1", localaws.EventRule{Name: deployment.ForwardRuleName, State: "ENABLED", Targets: []string{"arn:aws:events:us-east-1:999999999999:event-bus/other"}})
	code, stdout, stderr := cli(t, doctorArgs...)
	if code != 1 {
		t.Fatalf("exit %d; want 1\n%s\n%s", code, stdout, stderr)
	}
	var fails []string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.Contains(l, " FAIL ") {
			fails = append(fails, l)
		}
	}
	if len(fails) != 2 {
		t.Fatalf("failures %q; want 2", fails)
	}
	for want, fix := range map[string]string{
		"333333333333 eu-west-1": "aws events enable-rule --name ebsguard-forward --region eu-west-1",
		"222222222222 eu-west-1": "not the central bus " + centralBus,
	} {
		found := false
		for _, l := range fails {
			if strings.HasPrefix(l, want) && strings.Contains(l, "forwarding rule") && strings.Contains(l, fix) {
				found = true
			}
		}
		if !found {
			t.Errorf("no failure of %s saying %q in\n%s", want, fix, stdout)
		}
	}
	if !strings.Contains(stderr, "2 checks failed") {
		t.Errorf("stderr %q", stderr)
	}
}

// An account without the member stack, and one whose roles cannot be
// assumed: each row says what to deploy or fix.
func TestDoctorMissingPieces(t *testing.T) {
	t.Run("no member stack", func(t *testing.T) {
		doctorLocal(t)
		code, stdout, _ := cli(t, "doctor", "--accounts", "222222222222", "--regions", "ap-southeast-2")
		if code != 1 || !strings.Contains(stdout, "no rule ebsguard-forward in account 222222222222, Region ap-southeast-2: deploy the member stack") {
			t.Errorf("exit %d:\n%s", code, stdout)
		}
	})
	t.Run("roles not assumable", func(t *testing.T) {
		s := doctorLocal(t)
		s.Inject(localaws.Fault{API: "AssumeRole", Kind: "accessdenied", Count: 10})
		code, stdout, _ := cli(t, "doctor", "--accounts", "333333333333", "--regions", "us-east-1")
		if code != 1 || strings.Count(stdout, " FAIL ") != 2 ||
			!strings.Contains(stdout, "cannot assume the ebsguard-doctor role in account 333333333333, Region us-east-1: deploy the member stack with AuditorRoleArn") ||
			!strings.Contains(stdout, "cannot assume ebsguard-auditor in account 333333333333: deploy the member stack there") {
			t.Errorf("exit %d:\n%s", code, stdout)
		}
	})
}

func TestParseDoctor(t *testing.T) {
	o, err := parseDoctor([]string{"--queues", "https://q/1, https://q/2", "--function", "fn", "--securityhub"}, time.Now())
	if err != nil || len(o.queues) != 2 || o.queues[1] != "https://q/2" || o.function != "fn" || !o.securityHub || o.doctorRole != "ebsguard-doctor" {
		t.Errorf("parseDoctor = %+v, %v", o, err)
	}
	if code, _, stderr := cli(t, "doctor", "extra"); code != 2 || !strings.Contains(stderr, "unexpected argument") {
		t.Errorf("exit %d, %s", code, stderr)
	}
}

// The organization's accounts and the partition's Regions, found as the
// audit finds them: the suspended account is left out.
func TestDoctorAllAccountsAllRegions(t *testing.T) {
	doctorLocal(t)
	code, stdout, stderr := cli(t, "doctor", "--accounts", "all", "--regions", "all")
	if code != 0 || !strings.Contains(stdout, "12 checks, 0 failed") || strings.Contains(stdout, "555555555555") {
		t.Errorf("exit %d:\n%s\n%s", code, stdout, stderr)
	}
}

// GIVEN the organization's accounts, the central one among them, as the
// deployment guide has it (no member stack in the central account: its own
// rule brings its events, its function's role reads them) WHEN the doctor
// runs THEN the central account passes, without asking for a member stack
// there, and without reading it through the member roles.
func TestDoctorCentralAccountIsNoMember(t *testing.T) {
	s := doctorLocal(t)
	code, stdout, stderr := cli(t, "doctor", "--accounts", "222222222222,"+securityAccount, "--regions", "us-east-1")
	if code != 0 || !strings.Contains(stdout, "4 checks, 0 failed") {
		t.Fatalf("exit %d:\n%s\n%s", code, stdout, stderr)
	}
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, securityAccount) && !strings.Contains(l, "the central account") {
			t.Errorf("central account row %q", l)
		}
	}
	if c := s.Counts(); c["DescribeRule"] != 1 || c["GetEbsEncryptionByDefault"] != 1 {
		t.Errorf("calls %v; want the member's rule and reader probe only", c)
	}
}
