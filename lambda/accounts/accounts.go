// Package accounts gives the engine live EC2 and KMS clients for any account
// of the organization: the Lambda's own credentials for its own account, and a
// read-only role assumed with STS for the others.
package accounts

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/ebsguard/ebsguard/internal/deployment"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// DefaultReaderRole is the role the member stacks create in every account.
const DefaultReaderRole = deployment.ReaderRoleName

// SessionName is the role session name of every assumed reader role, as the
// member accounts' CloudTrail shows it.
const SessionName = "ebsguard"

// credentialsExpiryWindow refreshes assumed credentials this long before they
// expire, so that a request signed just before expiry does not reach AWS with
// expired credentials (ExpiredToken, a permanent error for that attempt).
const credentialsExpiryWindow = time.Minute

// STSAPI is the part of STS the provider calls.
type STSAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, opts ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	stscreds.AssumeRoleAPIClient
}

var _ STSAPI = (*sts.Client)(nil)

// Timeouts bound one attempt of an AWS call. The SDK's retryer makes further
// attempts after a timeout, so a slow endpoint ends as a retryable error
// within a bounded time instead of running into the Lambda's own timeout.
// A zero field takes its value from DefaultTimeouts.
type Timeouts struct {
	// Connect bounds the TCP connection to the endpoint.
	Connect time.Duration
	// TLSHandshake bounds the TLS handshake once connected.
	TLSHandshake time.Duration
	// ResponseHeader bounds the wait for the response's headers once the
	// request is written: the time the API takes to answer.
	ResponseHeader time.Duration
	// Attempt bounds the whole attempt, reading the response body included.
	Attempt time.Duration
}

// DefaultTimeouts are the timeouts of a provider without WithTimeouts. The
// calls made are small read-only Describe/Get calls by ID that AWS answers in
// well under a second, from inside the Region for the Lambda. Connecting or
// shaking hands for seconds means a broken path; waiting 5 s for an answer is
// ten times a slow answer. With the SDK's standard 3 attempts, one call ends
// within about 3 × 10 s plus sub-second backoffs in the worst case (a body
// trickling in), 3 × 5 s for an API that does not answer: well inside the
// function's 60 s.
var DefaultTimeouts = Timeouts{
	Connect:        2 * time.Second,
	TLSHandshake:   3 * time.Second,
	ResponseHeader: 5 * time.Second,
	Attempt:        10 * time.Second,
}

// withDefaults fills the zero fields from DefaultTimeouts.
func (t Timeouts) withDefaults() Timeouts {
	for _, f := range []struct {
		v *time.Duration
		d time.Duration
	}{
		{&t.Connect, DefaultTimeouts.Connect}, {&t.TLSHandshake, DefaultTimeouts.TLSHandshake},
		{&t.ResponseHeader, DefaultTimeouts.ResponseHeader}, {&t.Attempt, DefaultTimeouts.Attempt},
	} {
		if *f.v <= 0 {
			*f.v = f.d
		}
	}
	return t
}

// HTTPClient returns an HTTP client for AWS calls whose every attempt is
// bounded by t (zero fields from DefaultTimeouts). It keeps what base
// configures (proxy, custom CA bundle) when base is an
// *awshttp.BuildableClient or nil, as config.LoadDefaultConfig makes it; any
// other client is returned as is, its timeouts being its owner's business.
// The result is frozen so that a service client's defaults mode cannot
// override the timeouts, and it is meant to be shared: clients of every
// account in a Region reuse its connections to that Region's endpoints.
func HTTPClient(base aws.HTTPClient, t Timeouts) aws.HTTPClient {
	var b *awshttp.BuildableClient
	switch c := base.(type) {
	case nil:
		b = awshttp.NewBuildableClient()
	case *awshttp.BuildableClient:
		b = c
	default:
		return base
	}
	t = t.withDefaults()
	return bodyCopy{b.
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = t.Connect }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.TLSHandshakeTimeout = t.TLSHandshake
			tr.ResponseHeaderTimeout = t.ResponseHeader
		}).
		WithTimeout(t.Attempt).
		Freeze()}
}

// bodyCopy sends a copy of each request's body. The SDK closes the body it
// gave once it has the answer, while net/http's transport may still be
// reading it (to its end, after the answer came); that read fails, and the
// transport closes the connection under the answer being read: "use of
// closed network connection", retried by the SDK, and an error once every
// attempt hit it (aws/aws-sdk-go-v2#2737; frequent on loopback with
// DescribeVolumes of 200 instances). The engine's request bodies are small
// Query or JSON forms: the copy costs nothing worth counting.
type bodyCopy struct{ aws.HTTPClient }

func (c bodyCopy) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return c.HTTPClient.Do(req)
	}
	b, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read the request body: %w", err)
	}
	req.Body = io.NopCloser(bytes.NewReader(b))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return c.HTTPClient.Do(req)
}

// Option configures a Provider.
type Option func(*options)

type options struct {
	sts      STSAPI
	timeouts Timeouts
}

// WithSTS makes the provider call api for the caller's identity and to assume
// the reader role, instead of an STS client built from the configuration.
func WithSTS(api STSAPI) Option { return func(o *options) { o.sts = api } }

// WithTimeouts bounds every attempt of the provider's EC2, KMS and STS calls
// by t instead of DefaultTimeouts; zero fields keep their default.
func WithTimeouts(t Timeouts) Option { return func(o *options) { o.timeouts = t } }

// Provider implements verify.Clients with the AWS SDK. Credentials of
// assumed roles are cached per account and refreshed before they expire;
// clients are cached per account and Region.
type Provider struct {
	cfg        aws.Config
	sts        STSAPI
	readerRole string

	mu        sync.Mutex
	own       string // the caller's account, once known
	partition string // the caller's ARN partition, once known
	arn       string // the caller's identity ARN, once known
	creds     map[string]aws.CredentialsProvider
	ec2       map[string]*ec2.Client
	kms       map[string]*kms.Client
}

var _ verify.Clients = (*Provider)(nil)

// New returns a provider. readerRole is the name of the role to assume in
// other accounts (DefaultReaderRole when empty). Every client it makes uses
// cfg with the HTTP client of HTTPClient(cfg.HTTPClient, timeouts) and
// cfg's retryer (the SDK's standard retryer, 3 attempts, unless cfg says
// otherwise).
func New(cfg aws.Config, readerRole string, opts ...Option) *Provider {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if readerRole == "" {
		readerRole = DefaultReaderRole
	}
	cfg.HTTPClient = HTTPClient(cfg.HTTPClient, o.timeouts)
	if o.sts == nil {
		o.sts = sts.NewFromConfig(cfg, func(so *sts.Options) {
			if so.Region == "" {
				// replay on a workstation without a default Region: STS still answers.
				so.Region = "us-east-1"
			}
		})
	}
	return &Provider{cfg: cfg, sts: o.sts, readerRole: readerRole,
		creds: map[string]aws.CredentialsProvider{}, ec2: map[string]*ec2.Client{}, kms: map[string]*kms.Client{}}
}

// partitionPattern is the shape of an ARN partition (aws, aws-cn, aws-us-gov,
// aws-iso-b, aws-eusc, ...). It checks the shape only, so that a partition
// AWS adds later works without a change here.
var partitionPattern = regexp.MustCompile(`^aws(-[a-z]+)*$`)

// identify learns the caller's account and partition from STS, once. The
// partition comes from the caller's own ARN rather than from the Region's
// name: an organization lives in one partition, roles can only be assumed
// within it, and no table of Region prefixes has to follow new partitions.
// A failure is not remembered: the next call asks again. Called with p.mu held.
func (p *Provider) identify(ctx context.Context) error {
	if p.own != "" {
		return nil
	}
	out, err := p.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("get caller identity: %w", err)
	}
	account, identity := aws.ToString(out.Account), aws.ToString(out.Arn)
	a, err := arn.Parse(identity)
	if err != nil || !partitionPattern.MatchString(a.Partition) {
		return fmt.Errorf("get caller identity: no ARN partition in the caller's ARN %q", identity)
	}
	if !verify.ValidAccount(account) {
		return fmt.Errorf("get caller identity: invalid account %q", account)
	}
	p.own, p.partition, p.arn = account, a.Partition, identity
	return nil
}

// Identity is who the provider's own credentials are.
type Identity struct {
	Account   string
	ARN       string // as STS GetCallerIdentity gives it
	Partition string // aws, aws-cn, aws-us-gov, ...
}

// Caller returns the caller's identity, asked of STS once (the same answer
// that decides which accounts need the reader role).
func (p *Provider) Caller(ctx context.Context) (Identity, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.identify(ctx); err != nil {
		return Identity{}, err
	}
	return Identity{Account: p.own, ARN: p.arn, Partition: p.partition}, nil
}

// Config returns the configuration that reads the account in the Region: the
// caller's own credentials for its own account, else the reader role's (one
// AssumeRole per account, shared with the EC2 and KMS clients), with the
// bounded HTTP client. It is for the clients of services the engine does not
// call, such as CloudTrail for `ebsguard audit`.
func (p *Provider) Config(ctx context.Context, account, region string) (aws.Config, error) {
	creds, err := p.credentials(ctx, account, region)
	if err != nil {
		return aws.Config{}, err
	}
	cfg := p.cfg.Copy()
	cfg.Region, cfg.Credentials = region, creds
	return cfg, nil
}

// credentials returns the credentials that read the account: the default
// chain for the caller's own account, else the assumed reader role.
func (p *Provider) credentials(ctx context.Context, account, region string) (aws.CredentialsProvider, error) {
	if !verify.ValidAccount(account) || !verify.ValidRegion(region) {
		return nil, fmt.Errorf("invalid account %q or Region %q", account, region)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.identify(ctx); err != nil {
		return nil, err
	}
	if account == p.own {
		return p.cfg.Credentials, nil
	}
	if c, ok := p.creds[account]; ok {
		return c, nil
	}
	role := fmt.Sprintf("arn:%s:iam::%s:role/%s", p.partition, account, p.readerRole)
	assume := stscreds.NewAssumeRoleProvider(p.sts, role, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = SessionName
	})
	// One cache per account, shared by the clients of every Region: one
	// AssumeRole per account until the credentials near their expiry.
	c := aws.NewCredentialsCache(&assumeRole{role: role, provider: assume}, func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = credentialsExpiryWindow
	})
	p.creds[account] = c
	return c, nil
}

// assumeRole names the role in the error of a failed AssumeRole: the error
// surfaces from the EC2 or KMS call being signed, which does not say which
// role could not be assumed.
type assumeRole struct {
	role     string
	provider aws.CredentialsProvider
}

func (a *assumeRole) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := a.provider.Retrieve(ctx)
	if err != nil {
		return c, fmt.Errorf("assume role %s: %w", a.role, err)
	}
	return c, nil
}

// EC2 returns an EC2 client for the account and Region.
func (p *Provider) EC2(ctx context.Context, account, region string) (verify.EC2API, error) {
	return cachedClient(ctx, p, p.ec2, account, region, func(creds aws.CredentialsProvider) *ec2.Client {
		return ec2.NewFromConfig(p.cfg, func(o *ec2.Options) {
			o.Region, o.Credentials = region, creds
			o.APIOptions = append(o.APIOptions, verify.APIOptions...)
		})
	})
}

// KMS returns a KMS client for the account and Region.
func (p *Provider) KMS(ctx context.Context, account, region string) (verify.KMSAPI, error) {
	return cachedClient(ctx, p, p.kms, account, region, func(creds aws.CredentialsProvider) *kms.Client {
		return kms.NewFromConfig(p.cfg, func(o *kms.Options) {
			o.Region, o.Credentials = region, creds
			o.APIOptions = append(o.APIOptions, verify.APIOptions...)
		})
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
