package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/ebsguard/ebsguard/lambda/recheck"
	"github.com/ebsguard/ebsguard/lambda/securityhub"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// CallerAPI tells who the function runs as: Security Hub takes findings in
// the caller's own account, under its default product.
type CallerAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, opts ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

var _ CallerAPI = (*sts.Client)(nil)

// hub imports findings into Security Hub in the account and Region where the
// function runs. The account is asked on the first import, not at cold start.
type hub struct {
	importer *securityhub.Importer
	sts      CallerAPI
	region   string
	now      func() time.Time

	mu  sync.Mutex
	env *securityhub.Env
}

func (h *hub) Import(ctx context.Context, v verify.Verdict, published []recheck.Finding) error {
	env, err := h.target(ctx)
	if err != nil {
		return err
	}
	env.Now = h.now()
	keys := make([]securityhub.Key, len(published))
	for i, p := range published {
		keys[i] = securityhub.Key{EventID: v.EventID, Resource: p.Resource, Code: p.Code}
	}
	findings, err := securityhub.Findings(v, env, keys)
	if err != nil || len(findings) == 0 {
		return err
	}
	return h.importer.Import(ctx, findings)
}

func (h *hub) target(ctx context.Context) (securityhub.Env, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.env != nil {
		return *h.env, nil
	}
	out, err := h.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return securityhub.Env{}, fmt.Errorf("security hub: who am I: %w", err)
	}
	env, err := securityhub.EnvFromCaller(aws.ToString(out.Arn), h.region, h.now())
	if err != nil {
		return env, err
	}
	h.env = &env
	return env, nil
}
