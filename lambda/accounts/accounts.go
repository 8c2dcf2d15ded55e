// Package accounts gives the engine live EC2 and KMS clients for any account
// of the organization: the Lambda's own credentials for its own account, and a
// read-only role assumed with STS for the others.
package accounts

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/ebsguard/ebsguard/internal/deployment"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// DefaultReaderRole is the role the member stacks create in every account.
const DefaultReaderRole = deployment.ReaderRoleName

// STSAPI is the part of STS the provider calls.
type STSAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, opts ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	stscreds.AssumeRoleAPIClient
}

var _ STSAPI = (*sts.Client)(nil)

// Provider implements verify.Clients with the AWS SDK. Credentials of
// assumed roles are cached per account and refreshed before they expire;
// clients are cached per account and Region.
type Provider struct {
	cfg        aws.Config
	sts        STSAPI
	readerRole string

	mu    sync.Mutex
	own   string
	creds map[string]aws.CredentialsProvider
	ec2   map[string]*ec2.Client
	kms   map[string]*kms.Client
}

var _ verify.Clients = (*Provider)(nil)

// New returns a provider. readerRole is the name of the role to assume in
// other accounts (DefaultReaderRole when empty).
func New(cfg aws.Config, readerRole string) *Provider {
	if readerRole == "" {
		readerRole = DefaultReaderRole
	}
	stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) {
		if o.Region == "" {
			// replay on a workstation without a default Region: STS still answers.
			o.Region = "us-east-1"
		}
	})
	return &Provider{cfg: cfg, sts: stsClient, readerRole: readerRole,
		creds: map[string]aws.CredentialsProvider{}, ec2: map[string]*ec2.Client{}, kms: map[string]*kms.Client{}}
}

// credentials returns the credentials that read the account: the default
// chain for the caller's own account, else the assumed reader role.
func (p *Provider) credentials(ctx context.Context, account, region string) (aws.CredentialsProvider, error) {
	if !verify.ValidAccount(account) || !verify.ValidRegion(region) {
		return nil, fmt.Errorf("invalid account %q or Region %q", account, region)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.own == "" {
		out, err := p.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return nil, fmt.Errorf("get caller identity: %w", err)
		}
		p.own = aws.ToString(out.Account)
	}
	if account == p.own {
		return p.cfg.Credentials, nil
	}
	if c, ok := p.creds[account]; ok {
		return c, nil
	}
	role := fmt.Sprintf("arn:%s:iam::%s:role/%s", partition(region), account, p.readerRole)
	c := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(p.sts, role, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "ebsguard"
	}))
	p.creds[account] = c
	return c, nil
}

// EC2 returns an EC2 client for the account and Region.
func (p *Provider) EC2(ctx context.Context, account, region string) (verify.EC2API, error) {
	return cachedClient(ctx, p, p.ec2, account, region, func(creds aws.CredentialsProvider) *ec2.Client {
		return ec2.NewFromConfig(p.cfg, func(o *ec2.Options) { o.Region, o.Credentials = region, creds })
	})
}

// KMS returns a KMS client for the account and Region.
func (p *Provider) KMS(ctx context.Context, account, region string) (verify.KMSAPI, error) {
	return cachedClient(ctx, p, p.kms, account, region, func(creds aws.CredentialsProvider) *kms.Client {
		return kms.NewFromConfig(p.cfg, func(o *kms.Options) { o.Region, o.Credentials = region, creds })
	})
}

// cachedClient returns the client of an account and Region, creating it once.
func cachedClient[C any](ctx context.Context, p *Provider, cache map[string]C, account, region string, build func(aws.CredentialsProvider) C) (C, error) {
	var zero C
	creds, err := p.credentials(ctx, account, region)
	if err != nil {
		return zero, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	key := account + "/" + region
	if c, ok := cache[key]; ok {
		return c, nil
	}
	c := build(creds)
	cache[key] = c
	return c, nil
}

// partition returns the ARN partition of a Region.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	default:
		return "aws"
	}
}
