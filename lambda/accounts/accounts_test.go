package accounts_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/ebsguard/ebsguard/lambda/accounts"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

const (
	own     = "111111111111"
	member  = "222222222222"
	member2 = "333333333333"
	ownKey  = "AKIDOWN"
)

// fakeSTS answers as STS would and records what it was asked.
type fakeSTS struct {
	mu          sync.Mutex
	identityARN string
	identityErr error
	assumeErr   error
	expiresIn   time.Duration // lifetime of the credentials AssumeRole hands out

	identityCalls int
	assumed       []sts.AssumeRoleInput
}

func newFakeSTS(partition string) *fakeSTS {
	return &fakeSTS{identityARN: "arn:" + partition + ":sts::" + own + ":assumed-role/ebsguard-function/ebsguard", expiresIn: time.Hour}
}

func (f *fakeSTS) GetCallerIdentity(_ context.Context, _ *sts.GetCallerIdentityInput, _ ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.identityCalls++
	if f.identityErr != nil {
		return nil, f.identityErr
	}
	return &sts.GetCallerIdentityOutput{Account: aws.String(own), Arn: aws.String(f.identityARN), UserId: aws.String("AROAEXAMPLE:ebsguard")}, nil
}

func (f *fakeSTS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.assumed = append(f.assumed, *in)
	if f.assumeErr != nil {
		return nil, f.assumeErr
	}
	// The access key names the account and the how-manieth AssumeRole it is,
	// so the request it signs tells which credentials were used.
	account := strings.Split(aws.ToString(in.RoleArn), ":")[4]
	n := len(f.assumed)
	return &sts.AssumeRoleOutput{
		Credentials: &ststypes.Credentials{
			AccessKeyId:     aws.String(fmt.Sprintf("ASIA%s-%d", account, n)),
			SecretAccessKey: aws.String("secret"),
			SessionToken:    aws.String(fmt.Sprintf("token-%s-%d", account, n)),
			Expiration:      aws.Time(time.Now().Add(f.expiresIn)),
		},
		AssumedRoleUser: &ststypes.AssumedRoleUser{Arn: aws.String("arn:aws:sts::" + account + ":assumed-role/ebsguard-reader/ebsguard"), AssumedRoleId: aws.String("AROA:ebsguard")},
	}, nil
}

func (f *fakeSTS) counts() (identity, assume int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.identityCalls, len(f.assumed)
}

func (f *fakeSTS) assumeInputs() []sts.AssumeRoleInput {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sts.AssumeRoleInput(nil), f.assumed...)
}

// request is what the local endpoint saw of one signed request.
type request struct {
	AccessKey, SessionToken, Region, Service string
	Action                                   string // EC2 Action or KMS operation
	Param                                    string // ImageId.1 or KeyId
}

// endpoint is a local EC2 and KMS endpoint on 127.0.0.1 that records who
// signed each request and what it asked.
type endpoint struct {
	mu   sync.Mutex
	reqs []request
}

var credentialScope = regexp.MustCompile(`Credential=([^/]+)/[0-9]{8}/([^/]+)/([^/]+)/aws4_request`)

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var rq request
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		rq.AccessKey, rq.Region, rq.Service = m[1], m[2], m[3]
	}
	rq.SessionToken = r.Header.Get("X-Amz-Security-Token")
	if target := r.Header.Get("X-Amz-Target"); strings.HasPrefix(target, "TrentService.") {
		var in struct{ KeyId string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		rq.Action, rq.Param = strings.TrimPrefix(target, "TrentService."), in.KeyId
		e.record(rq)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fmt.Fprintf(w, `{"KeyMetadata":{"KeyId":%q,"Arn":"arn:aws:kms:%s:%s:key/%s"}}`, in.KeyId, rq.Region, own, in.KeyId)
		return
	}
	_ = r.ParseForm()
	rq.Action, rq.Param = r.PostForm.Get("Action"), r.PostForm.Get("ImageId.1")
	e.record(rq)
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	fmt.Fprintf(w, `<DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-1</requestId>`+
		`<imagesSet><item><imageId>%s</imageId></item></imagesSet></DescribeImagesResponse>`, rq.Param)
}

func (e *endpoint) record(r request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.reqs = append(e.reqs, r)
}

func (e *endpoint) requests() []request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]request(nil), e.reqs...)
}

// startEndpoint serves e on 127.0.0.1 for the test's duration.
func startEndpoint(t *testing.T) (*endpoint, string) {
	t.Helper()
	e := &endpoint{}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return e, srv.URL
}

// config is the Lambda's configuration, its own credentials signing as
// ownKey, every service at url.
func config(url string) aws.Config {
	return aws.Config{
		Region:       "eu-west-1",
		Credentials:  credentials.NewStaticCredentialsProvider(ownKey, "secret", ""),
		BaseEndpoint: aws.String(url),
	}
}

// describeImage calls DescribeImages for image through the provider's client.
func describeImage(t *testing.T, p *accounts.Provider, account, region, image string) {
	t.Helper()
	c, err := p.EC2(context.Background(), account, region)
	if err != nil {
		t.Fatalf("EC2(%s, %s): %v", account, region, err)
	}
	out, err := c.DescribeImages(context.Background(), &ec2.DescribeImagesInput{ImageIds: []string{image}})
	if err != nil {
		t.Fatalf("DescribeImages in %s/%s: %v", account, region, err)
	}
	if len(out.Images) != 1 || aws.ToString(out.Images[0].ImageId) != image {
		t.Fatalf("DescribeImages in %s/%s answered %+v", account, region, out.Images)
	}
}

// describeKey calls DescribeKey for key through the provider's client.
func describeKey(t *testing.T, p *accounts.Provider, account, region, key string) {
	t.Helper()
	c, err := p.KMS(context.Background(), account, region)
	if err != nil {
		t.Fatalf("KMS(%s, %s): %v", account, region, err)
	}
	if _, err := c.DescribeKey(context.Background(), &kms.DescribeKeyInput{KeyId: aws.String(key)}); err != nil {
		t.Fatalf("DescribeKey in %s/%s: %v", account, region, err)
	}
}

// The caller's own account is read with the Lambda's own credentials:
// no AssumeRole, and the identity is asked once.
func TestOwnAccount(t *testing.T) {
	e, url := startEndpoint(t)
	f := newFakeSTS("aws")
	p := accounts.New(config(url), "", accounts.WithSTS(f))

	describeImage(t, p, own, "eu-west-1", "ami-0own")
	describeKey(t, p, own, "us-east-1", "alias/aws/ebs")

	want := []request{
		{AccessKey: ownKey, Region: "eu-west-1", Service: "ec2", Action: "DescribeImages", Param: "ami-0own"},
		{AccessKey: ownKey, Region: "us-east-1", Service: "kms", Action: "DescribeKey", Param: "alias/aws/ebs"},
	}
	if got := e.requests(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("requests:\n%+v\nwant\n%+v", got, want)
	}
	if identity, assume := f.counts(); identity != 1 || assume != 0 {
		t.Errorf("GetCallerIdentity %d times, AssumeRole %d times; want 1 and 0", identity, assume)
	}
}

// Another account is read with the reader role, assumed in the caller's own
// partition as found in its identity ARN, and the assumed credentials sign
// the requests.
func TestAssumedRole(t *testing.T) {
	tests := []struct {
		partition, region, readerRole, wantRole string
	}{
		{"aws", "eu-west-1", "", "arn:aws:iam::222222222222:role/ebsguard-reader"},
		{"aws", "us-east-1", "custom-reader", "arn:aws:iam::222222222222:role/custom-reader"},
		{"aws-cn", "cn-north-1", "", "arn:aws-cn:iam::222222222222:role/ebsguard-reader"},
		{"aws-us-gov", "us-gov-west-1", "", "arn:aws-us-gov:iam::222222222222:role/ebsguard-reader"},
		{"aws-iso", "us-iso-east-1", "", "arn:aws-iso:iam::222222222222:role/ebsguard-reader"},
		{"aws-iso-b", "us-isob-east-1", "", "arn:aws-iso-b:iam::222222222222:role/ebsguard-reader"},
		{"aws-iso-f", "us-isof-south-1", "", "arn:aws-iso-f:iam::222222222222:role/ebsguard-reader"},
		{"aws-eusc", "eusc-de-east-1", "", "arn:aws-eusc:iam::222222222222:role/ebsguard-reader"},
		// A partition no table knows yet: its name comes from the identity.
		{"aws-future", "fu-west-1", "", "arn:aws-future:iam::222222222222:role/ebsguard-reader"},
	}
	for _, tt := range tests {
		t.Run(tt.partition+"/"+tt.region, func(t *testing.T) {
			e, url := startEndpoint(t)
			f := newFakeSTS(tt.partition)
			p := accounts.New(config(url), tt.readerRole, accounts.WithSTS(f))

			describeImage(t, p, member, tt.region, "ami-0member")

			in := f.assumeInputs()
			if len(in) != 1 {
				t.Fatalf("AssumeRole called %d times; want 1", len(in))
			}
			if got := aws.ToString(in[0].RoleArn); got != tt.wantRole {
				t.Errorf("AssumeRole RoleArn = %s; want %s", got, tt.wantRole)
			}
			if got := aws.ToString(in[0].RoleSessionName); got != "ebsguard" {
				t.Errorf("AssumeRole RoleSessionName = %q; want ebsguard", got)
			}
			want := []request{{AccessKey: "ASIA222222222222-1", SessionToken: "token-222222222222-1", Region: tt.region, Service: "ec2", Action: "DescribeImages", Param: "ami-0member"}}
			if got := e.requests(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("requests:\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

// One AssumeRole per account, however many clients and Regions read it, and
// each account's requests are signed with that account's credentials.
func TestCredentialsCachedPerAccount(t *testing.T) {
	e, url := startEndpoint(t)
	f := newFakeSTS("aws")
	p := accounts.New(config(url), "", accounts.WithSTS(f))

	var want []request
	for _, account := range []string{member, member2} {
		key, token := "ASIA"+account+"-1", "token-"+account+"-1"
		if account == member2 {
			key, token = "ASIA"+account+"-2", "token-"+account+"-2"
		}
		for _, region := range []string{"eu-west-1", "us-east-1", "ap-southeast-2"} {
			describeImage(t, p, account, region, "ami-1")
			describeImage(t, p, account, region, "ami-2")
			want = append(want,
				request{AccessKey: key, SessionToken: token, Region: region, Service: "ec2", Action: "DescribeImages", Param: "ami-1"},
				request{AccessKey: key, SessionToken: token, Region: region, Service: "ec2", Action: "DescribeImages", Param: "ami-2"})
		}
		for _, region := range []string{"eu-west-1", "us-east-1"} {
			describeKey(t, p, account, region, "alias/aws/ebs")
			want = append(want, request{AccessKey: key, SessionToken: token, Region: region, Service: "kms", Action: "DescribeKey", Param: "alias/aws/ebs"})
		}
	}
	if got := e.requests(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("requests:\n%+v\nwant\n%+v", got, want)
	}
	var roles []string
	for _, in := range f.assumeInputs() {
		roles = append(roles, aws.ToString(in.RoleArn))
	}
	if want := []string{"arn:aws:iam::222222222222:role/ebsguard-reader", "arn:aws:iam::333333333333:role/ebsguard-reader"}; fmt.Sprint(roles) != fmt.Sprint(want) {
		t.Errorf("AssumeRole calls %v; want %v", roles, want)
	}
	if identity, _ := f.counts(); identity != 1 {
		t.Errorf("GetCallerIdentity called %d times; want 1", identity)
	}
}

// Credentials about to expire are replaced before they are used; fresh ones
// are reused.
func TestCredentialsRefreshedBeforeExpiry(t *testing.T) {
	e, url := startEndpoint(t)
	f := newFakeSTS("aws")
	p := accounts.New(config(url), "", accounts.WithSTS(f))

	f.mu.Lock()
	f.expiresIn = 30 * time.Second // inside the refresh window: stale at once
	f.mu.Unlock()
	describeImage(t, p, member, "eu-west-1", "ami-1")
	describeImage(t, p, member, "eu-west-1", "ami-2")
	f.mu.Lock()
	f.expiresIn = time.Hour
	f.mu.Unlock()
	describeImage(t, p, member, "eu-west-1", "ami-3")
	describeImage(t, p, member, "us-east-1", "ami-4")

	var keys []string
	for _, r := range e.requests() {
		keys = append(keys, r.AccessKey)
	}
	want := []string{"ASIA222222222222-1", "ASIA222222222222-2", "ASIA222222222222-3", "ASIA222222222222-3"}
	if fmt.Sprint(keys) != fmt.Sprint(want) {
		t.Errorf("requests signed with %v; want %v", keys, want)
	}
	if _, assume := f.counts(); assume != 3 {
		t.Errorf("AssumeRole called %d times; want 3", assume)
	}
}

// A client is made once per account and Region and service.
func TestClientsCachedPerAccountAndRegion(t *testing.T) {
	p := accounts.New(config("http://127.0.0.1:1"), "", accounts.WithSTS(newFakeSTS("aws")))
	ctx := context.Background()
	ec2Client := func(account, region string) verify.EC2API {
		c, err := p.EC2(ctx, account, region)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	kmsClient := func(account, region string) verify.KMSAPI {
		c, err := p.KMS(ctx, account, region)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if ec2Client(member, "eu-west-1") != ec2Client(member, "eu-west-1") {
		t.Error("EC2: two clients for the same account and Region")
	}
	if ec2Client(member, "eu-west-1") == ec2Client(member, "us-east-1") {
		t.Error("EC2: one client for two Regions")
	}
	if ec2Client(member, "eu-west-1") == ec2Client(member2, "eu-west-1") {
		t.Error("EC2: one client for two accounts")
	}
	if ec2Client(own, "eu-west-1") != ec2Client(own, "eu-west-1") {
		t.Error("EC2: two clients for the own account")
	}
	if kmsClient(member, "eu-west-1") != kmsClient(member, "eu-west-1") {
		t.Error("KMS: two clients for the same account and Region")
	}
	if kmsClient(member, "eu-west-1") == kmsClient(member, "us-east-1") {
		t.Error("KMS: one client for two Regions")
	}
	if kmsClient(member, "eu-west-1") == kmsClient(member2, "eu-west-1") {
		t.Error("KMS: one client for two accounts")
	}
}

// An account or Region that is not well formed never reaches STS, an ARN or
// an endpoint.
func TestRejectsMalformedAccountOrRegion(t *testing.T) {
	e, url := startEndpoint(t)
	f := newFakeSTS("aws")
	p := accounts.New(config(url), "", accounts.WithSTS(f))
	for _, c := range []struct{ account, region string }{
		{"12345", "us-east-1"}, {"22222222222a", "us-east-1"}, {"222222222222:role", "us-east-1"}, {"", "us-east-1"},
		{member, "us-east-1;rm"}, {member, ""}, {member, "../../x"}, {member, "US-EAST-1"},
	} {
		if _, err := p.EC2(context.Background(), c.account, c.region); err == nil {
			t.Errorf("EC2(%q, %q): no error", c.account, c.region)
		}
		if _, err := p.KMS(context.Background(), c.account, c.region); err == nil {
			t.Errorf("KMS(%q, %q): no error", c.account, c.region)
		}
	}
	if identity, assume := f.counts(); identity != 0 || assume != 0 {
		t.Errorf("STS called (GetCallerIdentity %d, AssumeRole %d); want no call", identity, assume)
	}
	if n := len(e.requests()); n != 0 {
		t.Errorf("%d requests reached the endpoint; want 0", n)
	}
}

// A failing GetCallerIdentity surfaces with context and is not remembered: the
// next call asks again.
func TestCallerIdentityFails(t *testing.T) {
	_, url := startEndpoint(t)
	f := newFakeSTS("aws")
	cause := &smithy.OperationError{ServiceID: "STS", OperationName: "GetCallerIdentity", Err: &smithy.GenericAPIError{Code: "ExpiredToken", Message: "The security token included in the request is expired"}}
	f.identityErr = cause
	p := accounts.New(config(url), "", accounts.WithSTS(f))

	_, err := p.EC2(context.Background(), member, "eu-west-1")
	if err == nil || !strings.Contains(err.Error(), "get caller identity") || !errors.Is(err, cause) {
		t.Fatalf("EC2 error = %v; want the GetCallerIdentity error with context", err)
	}
	if verify.IsTransient(err) || verify.ErrorCode(err) != "ExpiredToken" {
		t.Errorf("error classified transient=%v code=%q; want permanent ExpiredToken", verify.IsTransient(err), verify.ErrorCode(err))
	}
	f.mu.Lock()
	f.identityErr = nil
	f.mu.Unlock()
	if _, err := p.EC2(context.Background(), member, "eu-west-1"); err != nil {
		t.Errorf("EC2 after STS recovered: %v", err)
	}
	if identity, assume := f.counts(); identity != 2 || assume != 0 {
		t.Errorf("GetCallerIdentity %d times, AssumeRole %d; want 2 and 0 (AssumeRole waits for the first signed call)", identity, assume)
	}
}

// An identity without a usable partition is an error, never an ARN built
// from whatever it holds.
func TestCallerIdentityWithoutPartition(t *testing.T) {
	for _, identity := range []string{"", "not-an-arn", "arn::sts::111111111111:assumed-role/x/y", "arn:AWS:sts::111111111111:x", "arn:aws/evil:sts::111111111111:x", "arn:aws-:sts::111111111111:x", "arn:aws\n:sts::111111111111:x"} {
		t.Run(identity, func(t *testing.T) {
			f := newFakeSTS("aws")
			f.identityARN = identity
			p := accounts.New(config("http://127.0.0.1:1"), "", accounts.WithSTS(f))
			_, err := p.EC2(context.Background(), member, "eu-west-1")
			if err == nil || !strings.Contains(err.Error(), "get caller identity") {
				t.Errorf("EC2 error = %v; want a caller identity error", err)
			}
		})
	}
}

// The reader role being denied surfaces from the call it was meant to sign,
// names the role, and is permanent: retrying will not grant it.
func TestAssumeRoleAccessDenied(t *testing.T) {
	e, url := startEndpoint(t)
	f := newFakeSTS("aws")
	f.assumeErr = &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 403}},
			Err: &smithy.GenericAPIError{Code: "AccessDenied", Fault: smithy.FaultClient,
				Message: "User: arn:aws:sts::111111111111:assumed-role/ebsguard-function/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/ebsguard-reader"},
		},
		RequestID: "req-1",
	}}
	p := accounts.New(config(url), "", accounts.WithSTS(f))

	c, err := p.EC2(context.Background(), member, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeImages(context.Background(), &ec2.DescribeImagesInput{ImageIds: []string{"ami-1"}})
	if err == nil {
		t.Fatal("DescribeImages succeeded with the reader role denied")
	}
	if !strings.Contains(err.Error(), "assume role arn:aws:iam::222222222222:role/ebsguard-reader") {
		t.Errorf("error %q does not name the role", err)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Errorf("error %v does not carry the AccessDenied API error", err)
	}
	if verify.IsTransient(err) {
		t.Errorf("IsTransient(%v) = true; want permanent", err)
	}
	if got := verify.ErrorCode(err); got != "AccessDenied" {
		t.Errorf("ErrorCode = %q; want AccessDenied", got)
	}
	if _, assume := f.counts(); assume != 1 {
		t.Errorf("AssumeRole called %d times; want 1 (a denial is not retried)", assume)
	}
	if n := len(e.requests()); n != 0 {
		t.Errorf("%d requests reached EC2 without credentials; want 0", n)
	}
}

// A slow API ends, within a bounded time, as an error the engine classifies
// as transient, after the SDK's three attempts; each timeout is checked on
// its own, the others left at their (much longer) defaults.
func TestSlowAPIEndsAsTransientError(t *testing.T) {
	const bound = 4 * time.Second // 3 attempts of 150 ms plus backoff; the defaults would take over 15 s

	stallHeaders := func(stop <-chan struct{}) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		}
	}
	stallBody := func(stop <-chan struct{}) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
			fmt.Fprint(w, `<DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-1</requestId><imagesSet>`)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		}
	}
	tests := []struct {
		name     string
		timeouts accounts.Timeouts
		serve    func(stop <-chan struct{}) http.HandlerFunc // nil: a TCP server that never answers the TLS handshake
		codes    []string                                    // what ErrorCode may say
	}{
		{"response headers never come", accounts.Timeouts{ResponseHeader: 150 * time.Millisecond}, stallHeaders, []string{"Timeout"}},
		// When the client's timeout fires while the body is read, net/http
		// closes the connection, and the read may end first with "use of
		// closed network connection", which says nothing of a timeout.
		{"body stalls", accounts.Timeouts{Attempt: 150 * time.Millisecond}, stallBody, []string{"Timeout", "Network"}},
		{"TLS handshake never completes", accounts.Timeouts{TLSHandshake: 150 * time.Millisecond}, nil, []string{"Timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stop := make(chan struct{})
			var mu sync.Mutex
			attempts := 0
			var url string
			if tt.serve != nil {
				h := tt.serve(stop)
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					mu.Lock()
					attempts++
					mu.Unlock()
					h(w, r)
				}))
				t.Cleanup(srv.Close)
				url = srv.URL
			} else {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { ln.Close() })
				go func() {
					for {
						conn, err := ln.Accept()
						if err != nil {
							return
						}
						mu.Lock()
						attempts++
						mu.Unlock()
						go func() { <-stop; conn.Close() }()
					}
				}()
				url = "https://" + ln.Addr().String()
			}
			t.Cleanup(func() { close(stop) }) // runs first: lets the handlers return before the server closes

			cfg := config(url)
			// The standard defaults mode sets its own connect and TLS
			// timeouts (3.1 s) on a client it may still configure: the
			// provider's must win.
			cfg.DefaultsMode = aws.DefaultsModeStandard
			p := accounts.New(cfg, "", accounts.WithSTS(newFakeSTS("aws")), accounts.WithTimeouts(tt.timeouts))
			c, err := p.EC2(context.Background(), own, "eu-west-1")
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = c.DescribeImages(context.Background(), &ec2.DescribeImagesInput{ImageIds: []string{"ami-1"}})
			elapsed := time.Since(start)

			if err == nil {
				t.Fatal("DescribeImages succeeded against a stalled endpoint")
			}
			if elapsed > bound {
				t.Errorf("DescribeImages failed after %s; want within %s", elapsed, bound)
			}
			if !verify.IsTransient(err) {
				t.Errorf("IsTransient(%v) = false; want transient", err)
			}
			if got := verify.ErrorCode(err); !slices.Contains(tt.codes, got) {
				t.Errorf("ErrorCode(%v) = %q; want one of %q", err, got, tt.codes)
			}
			var maxAttempts *retry.MaxAttemptsError
			if !errors.As(err, &maxAttempts) {
				t.Errorf("error %v is not the retryer's MaxAttemptsError: the SDK did not retry", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if attempts != retry.DefaultMaxAttempts {
				t.Errorf("%d attempts reached the endpoint; want %d (the standard retryer's)", attempts, retry.DefaultMaxAttempts)
			}
		})
	}
}

// The timeouts are added to the configuration's HTTP client, not in place of
// it: a custom CA bundle (as AWS_CA_BUNDLE gives LoadDefaultConfig) still
// verifies the endpoint.
func TestTimeoutsKeepTheConfiguredHTTPClient(t *testing.T) {
	e := &endpoint{}
	srv := httptest.NewTLSServer(e)
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())

	cfg := config(srv.URL)
	cfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.TLSClientConfig.RootCAs = roots
	})
	p := accounts.New(cfg, "", accounts.WithSTS(newFakeSTS("aws")), accounts.WithTimeouts(accounts.Timeouts{Attempt: 5 * time.Second}))
	describeImage(t, p, own, "eu-west-1", "ami-0tls")
	if got := e.requests(); len(got) != 1 || got[0].Param != "ami-0tls" {
		t.Errorf("requests %+v; want one DescribeImages of ami-0tls", got)
	}
}

// Config reads an account as the EC2 and KMS clients do: the caller's own
// credentials for its own account, the reader role's otherwise, assumed once
// for both; Caller is the identity STS gave, asked once.
func TestConfigSharesTheAccountsCredentials(t *testing.T) {
	e, url := startEndpoint(t)
	f := newFakeSTS("aws")
	p := accounts.New(config(url), "", accounts.WithSTS(f))
	ctx := context.Background()

	describeImage(t, p, member, "eu-west-1", "ami-0member")
	for _, tt := range []struct{ account, region, wantKey string }{
		{member, "us-east-2", "ASIA222222222222-1"},
		{own, "ap-south-1", ownKey},
	} {
		cfg, err := p.Config(ctx, tt.account, tt.region)
		if err != nil {
			t.Fatalf("Config(%s, %s): %v", tt.account, tt.region, err)
		}
		if cfg.Region != tt.region {
			t.Errorf("Config(%s, %s).Region = %s", tt.account, tt.region, cfg.Region)
		}
		creds, err := cfg.Credentials.Retrieve(ctx)
		if err != nil || creds.AccessKeyID != tt.wantKey {
			t.Errorf("Config(%s, %s) credentials = %s, %v; want %s", tt.account, tt.region, creds.AccessKeyID, err, tt.wantKey)
		}
	}
	if _, err := p.Config(ctx, "not-an-account", "eu-west-1"); err == nil {
		t.Error("Config accepted a malformed account")
	}
	id, err := p.Caller(ctx)
	want := accounts.Identity{Account: own, ARN: "arn:aws:sts::" + own + ":assumed-role/ebsguard-function/ebsguard", Partition: "aws"}
	if err != nil || id != want {
		t.Errorf("Caller = %+v, %v; want %+v", id, err, want)
	}
	if identity, assume := f.counts(); identity != 1 || assume != 1 {
		t.Errorf("GetCallerIdentity %d times, AssumeRole %d times; want 1 and 1", identity, assume)
	}
	if n := len(e.requests()); n != 1 {
		t.Errorf("%d requests; want the one DescribeImages", n)
	}
}
