package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
	"github.com/ebsguard/ebsguard/internal/deployment"
)

// The backfill stack: its parameters, one managed policy attached to the
// auditor role with exactly the grants of internal/deployment, and no cdk-nag
// error.
func TestBackfillStack(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := NewBackfillStack(app, "ebsguard-backfill", &awscdk.StackProps{Synthesizer: awscdk.NewBootstraplessSynthesizer(&awscdk.BootstraplessSynthesizerProps{})})
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	b, err := json.Marshal(assertions.Template_FromStack(stack, nil).ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var tmpl struct {
		Parameters map[string]any
		Resources  map[string]struct {
			Type       string
			Properties struct {
				Roles          []any
				PolicyDocument struct{ Statement []map[string]any }
			}
		}
	}
	if err := json.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	for _, p := range deployment.BackfillParameters {
		if tmpl.Parameters[p.Name] == nil {
			t.Errorf("no parameter %s", p.Name)
		}
	}
	var policies int
	for _, r := range tmpl.Resources {
		if r.Type != "AWS::IAM::ManagedPolicy" {
			if r.Type != "" && !strings.HasPrefix(r.Type, "AWS::CDK") {
				t.Errorf("unexpected resource %s", r.Type)
			}
			continue
		}
		policies++
		roles, _ := json.Marshal(r.Properties.Roles)
		if !strings.Contains(string(roles), deployment.BackfillAuditorRoleParameter.Name) {
			t.Errorf("policy attached to %s", roles)
		}
		var got, want []string
		for _, s := range r.Properties.PolicyDocument.Statement {
			got = append(got, s["Sid"].(string))
		}
		for _, s := range deployment.BackfillStatements() {
			want = append(want, s.Sid)
		}
		if !slices.Equal(got, want) {
			t.Errorf("statements %v, want %v", got, want)
		}
	}
	if policies != 1 {
		t.Errorf("%d managed policies, want 1", policies)
	}
	errs := assertions.Annotations_FromStack(stack).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
	for _, e := range *errs {
		t.Errorf("cdk-nag: %v", e.Entry.Data)
	}
}
