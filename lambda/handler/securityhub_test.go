package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssecurityhub "github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/ebsguard/ebsguard/lambda/securityhub"
)

type fakeCaller struct{ calls int }

func (f *fakeCaller) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	f.calls++
	return &sts.GetCallerIdentityOutput{Arn: aws.String("arn:aws:sts::111111111111:assumed-role/ebsguard/fn"), Account: aws.String("111111111111")}, nil
}

type fakeHubAPI struct {
	inputs []*awssecurityhub.BatchImportFindingsInput
	err    error
}

func (f *fakeHubAPI) BatchImportFindings(_ context.Context, in *awssecurityhub.BatchImportFindingsInput, _ ...func(*awssecurityhub.Options)) (*awssecurityhub.BatchImportFindingsOutput, error) {
	f.inputs = append(f.inputs, in)
	if f.err != nil {
		return nil, f.err
	}
	return &awssecurityhub.BatchImportFindingsOutput{SuccessCount: aws.Int32(int32(len(in.Findings))), FailedCount: aws.Int32(0)}, nil
}

// With Security Hub on, a violation's findings are imported in the
// function's own account and Region, under its default product, before the
// topic has them; a failed import does not stop the topic's message (it is
// published once) and is retried for Security Hub alone through the queue.
func TestSecurityHubImport(t *testing.T) {
	dir := samples + "launch-encrypted-shared"
	f := newFixture(t, dir)
	api, caller := &fakeHubAPI{}, &fakeCaller{}
	f.h.hub = &hub{importer: securityhub.NewImporter(api), sts: caller, region: "us-east-1", now: func() time.Time { return f.now }}
	if _, err := f.h.Handle(context.Background(), event(t, dir)); err != nil {
		t.Fatal(err)
	}
	if len(api.inputs) != 1 || len(api.inputs[0].Findings) != 1 {
		t.Fatalf("imported %d batches; want one with one finding", len(api.inputs))
	}
	sf := api.inputs[0].Findings[0]
	if aws.ToString(sf.ProductArn) != "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default" ||
		aws.ToString(sf.AwsAccountId) != "111111111111" || aws.ToString(sf.GeneratorId) != "launch/encrypted/shared" {
		t.Errorf("finding product %s, account %s, generator %s", aws.ToString(sf.ProductArn), aws.ToString(sf.AwsAccountId), aws.ToString(sf.GeneratorId))
	}
	if len(f.sns.inputs) != 1 {
		t.Errorf("published %d messages; want 1", len(f.sns.inputs))
	}
	f.h.Handle(context.Background(), event(t, dir))
	if caller.calls != 1 {
		t.Errorf("asked who the function is %d times; want once", caller.calls)
	}

	failing := newFixture(t, dir)
	failing.h.hub = &hub{importer: securityhub.NewImporter(&fakeHubAPI{err: errors.New("throttled")}, securityhub.WithAttempts(1)), sts: &fakeCaller{}, region: "us-east-1", now: time.Now}
	if _, err := failing.h.Handle(context.Background(), event(t, dir)); err != nil || len(failing.sns.inputs) != 1 {
		t.Errorf("a failed import: Handle error %v, %d messages; want none and the message published", err, len(failing.sns.inputs))
	}
	if len(failing.queue.sent) != 1 || failing.queue.sent[0].HubFailures != 1 {
		t.Fatalf("queued %+v; want one re-check retrying Security Hub", failing.queue.sent)
	}
}
