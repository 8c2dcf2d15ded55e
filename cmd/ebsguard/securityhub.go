package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssh "github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/ebsguard/ebsguard/lambda/securityhub"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// callerAPI tells who the CLI runs as: Security Hub takes the findings in the
// caller's own account, under its default product.
type callerAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, opts ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

var _ callerAPI = (*sts.Client)(nil)

// hubBatch is how many findings are gathered, across verdicts, before they
// are imported: one BatchImportFindings call's worth, so that a long run
// imports as it goes and an interrupted one has imported what it printed.
const hubBatch = 100

// hub imports the findings of the verdicts (--securityhub) into Security Hub
// in the caller's account and Region. Only one goroutine calls it.
type hub struct {
	env      securityhub.Env
	importer *securityhub.Importer
	api      *countingHub
	now      func() time.Time

	pending []shtypes.AwsSecurityFinding
	raised  int
	errs    []error
}

// newHub finds the caller's account (STS GetCallerIdentity) and sets up the
// importer; region is the caller's.
func newHub(ctx context.Context, who callerAPI, api securityhub.API, region string, opts ...securityhub.Option) (*hub, error) {
	if region == "" {
		return nil, errors.New("--securityhub imports in the caller's Region: set one (AWS_REGION, or the profile's region)")
	}
	out, err := who.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("--securityhub: who am I (sts:GetCallerIdentity): %w", err)
	}
	env, err := securityhub.EnvFromCaller(aws.ToString(out.Arn), region, time.Now())
	if err != nil {
		return nil, err
	}
	counted := &countingHub{api: api}
	return &hub{env: env, api: counted, importer: securityhub.NewImporter(counted, opts...), now: time.Now}, nil
}

// newLiveHub makes the clients of newHub from the AWS configuration.
func newLiveHub(ctx context.Context, cfg aws.Config) (*hub, error) {
	return newHub(ctx, sts.NewFromConfig(cfg), awssh.NewFromConfig(cfg), cfg.Region)
}

// add maps a verdict's findings and imports them once a batch is full. A
// replay or an audit knows nothing of earlier imports, so it raises findings
// and resolves none (the Lambda's re-checks resolve theirs).
func (h *hub) add(ctx context.Context, v verify.Verdict) {
	if len(v.Findings) == 0 {
		return
	}
	env := h.env
	env.Now = h.now()
	fs, err := securityhub.Findings(v, env, nil)
	if err != nil {
		h.errs = append(h.errs, fmt.Errorf("event %s: %w", v.EventID, err))
		return
	}
	h.raised += len(fs)
	h.pending = append(h.pending, fs...)
	for len(h.pending) >= hubBatch {
		h.send(ctx, hubBatch)
	}
}

// send imports the first n findings gathered.
func (h *hub) send(ctx context.Context, n int) {
	if n == 0 {
		return
	}
	if err := h.importer.Import(ctx, h.pending[:n]); err != nil {
		h.errs = append(h.errs, err)
	}
	h.pending = append([]shtypes.AwsSecurityFinding(nil), h.pending[n:]...)
}

// finish imports the rest, unless the run was interrupted, and says what
// was imported; it returns false when a finding was not imported.
func (h *hub) finish(ctx context.Context, w io.Writer) bool {
	if ctx.Err() == nil {
		h.send(ctx, len(h.pending))
	}
	imported := h.api.imported.Load()
	fmt.Fprintf(w, "Security Hub: %d of %d findings imported into %s %s (%s)\n", imported, h.raised, h.env.Account, h.env.Region, h.env.ProductARN())
	if n := len(h.pending); n > 0 {
		fmt.Fprintf(w, "  %d not sent: interrupted\n", n)
	}
	for _, err := range h.errs {
		fmt.Fprintf(w, "  %v\n", err)
	}
	return len(h.errs) == 0 && len(h.pending) == 0 && imported == int64(h.raised)
}

// countingHub counts the findings Security Hub accepted, retries included.
type countingHub struct {
	api      securityhub.API
	imported atomic.Int64
}

func (c *countingHub) BatchImportFindings(ctx context.Context, in *awssh.BatchImportFindingsInput, opts ...func(*awssh.Options)) (*awssh.BatchImportFindingsOutput, error) {
	out, err := c.api.BatchImportFindings(ctx, in, opts...)
	if err == nil {
		ok := len(in.Findings) - len(out.FailedFindings)
		if out.SuccessCount != nil {
			ok = int(*out.SuccessCount)
		}
		c.imported.Add(int64(ok))
	}
	return out, err
}
