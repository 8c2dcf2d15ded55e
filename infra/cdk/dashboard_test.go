package main

import (
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/internal/deployment"
	"github.com/ebsguard/ebsguard/internal/deployment/cfntest"
)

// The central stack's dashboard has a widget for each thing the issue
// names, from the metrics the function emits and its log group, and every
// alarm.
func TestDashboard(t *testing.T) {
	d := deployCentral(t, "false")
	ids := d.OfType("AWS::CloudWatch::Dashboard")
	if len(ids) != 1 {
		t.Fatalf("dashboards %v; want 1", ids)
	}
	p := d.Resources[ids[0]].Properties
	if p["DashboardName"] != DashboardName {
		t.Errorf("name %v", p["DashboardName"])
	}
	// The body is JSON in a Fn::Join: unescape its quotes to read it.
	body := strings.ReplaceAll(cfntest.JSON(p["DashboardBody"]), `\"`, `"`)
	body = strings.ReplaceAll(body, `\\"`, `"`)
	for what, want := range map[string]string{
		"findings by code":      `{ebsguard,code} MetricName=`,
		"verdicts by status":    `{ebsguard,status} MetricName=`,
		"lookup errors":         `{ebsguard,errorCode} MetricName=`,
		"top 10 accounts":       `filter message = "evaluated" and status = "violation"`,
		"re-check age":          deployment.MetricRecheckAge,
		"queue age":             "ApproximateAgeOfOldestMessage",
		"AWS calls per event":   `"AWSCalls"`,
		"failed invocations":    `"Errors"`,
		"notices by reason":     `stats count() as notices by reason`,
		"the function's logs":   d.ID(t, "AWS::Logs::LogGroup", "FunctionLogs"),
		"the alarms' widget":    `"type":"alarm"`,
		"the re-check queue":    d.ID(t, "AWS::SQS::Queue", "Recheck"),
		"the function's errors": d.ID(t, "AWS::Lambda::Function", "Function"),
	} {
		if !strings.Contains(body, want) {
			t.Errorf("%s: the body lacks %s:\n%s", what, want, body)
		}
	}
	for _, a := range deployment.Alarms {
		if id := d.ID(t, "AWS::CloudWatch::Alarm", a.ID); !strings.Contains(body, id) {
			t.Errorf("alarm %s is not on the dashboard", id)
		}
	}
}
