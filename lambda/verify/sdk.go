package verify

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go/middleware"
)

// Every AWS read the engine makes goes through an SDK client's middleware
// stack, whoever answers it: AWS, localaws, the world file or a test's fake.
// What is done to every call (counting it for the verdict and the AWSCalls
// metric; recording it for `world capture`) is therefore a step on that
// stack, written once for every operation: a method added to EC2API or
// KMSAPI is counted and recorded with no further line.
//
// A client that is not an SDK client (the world fake, a test's fake) is
// served through one: sdkEC2 and sdkKMS build an SDK client whose stack, in
// its Initialize step, calls the implementation's method of the operation's
// name with the typed input and returns its typed output, without
// serializing, signing or sending anything. The steps before it (counting,
// recording) run exactly as for AWS.

// APIOptions are the steps every EC2 and KMS client the engine reads with
// carries: add them to the options of an SDK client built for the engine
// (accounts.Provider does).
var APIOptions = []func(*middleware.Stack) error{countCalls}

// counter counts calls by operation name, for one evaluation.
type counter struct {
	mu    sync.Mutex
	calls map[string]int
}

type counterKey struct{}

// withCounter makes the calls made with ctx count in calls.
func withCounter(ctx context.Context, calls map[string]int) context.Context {
	return context.WithValue(ctx, counterKey{}, &counter{calls: calls})
}

// countCalls counts each operation once per call, paginated pages included,
// before the retryer: a retried call counts once, as AWS bills the caller's
// request quota by attempt but the engine asks once.
func countCalls(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("ebsguardCountCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if c, ok := ctx.Value(counterKey{}).(*counter); ok {
				c.mu.Lock()
				c.calls[awsmiddleware.GetOperationName(ctx)]++
				c.mu.Unlock()
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
}

// serveInProcess answers every operation from impl's method of the same name,
// called with the typed input (dispatch, generated from EC2API and KMSAPI:
// no reflective lookup by name, which would keep every method of every SDK
// client in the Lambda's binary); it ends the stack's Initialize step, so
// that nothing is serialized or sent, and is added after every other step.
func serveInProcess(impl any) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("ebsguardServeInProcess",
			func(ctx context.Context, in middleware.InitializeInput, _ middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, err, ok := dispatch(ctx, impl, in.Parameters)
				switch {
				case !ok:
					return middleware.InitializeOutput{}, middleware.Metadata{}, fmt.Errorf("%T does not answer %s (new to EC2API or KMSAPI? go test ./lambda/verify -run TestGeneratedDispatch -update-dispatch)", impl, awsmiddleware.GetOperationName(ctx))
				case err != nil:
					return middleware.InitializeOutput{}, middleware.Metadata{}, err
				}
				return middleware.InitializeOutput{Result: out}, middleware.Metadata{}, nil
			}), middleware.After)
	}
}

// inProcessOptions are an in-process client's options: no credentials, no
// retries (the implementation answers at once; a fault it returns is the
// answer), the engine's steps, then the implementation.
func inProcessOptions(region string, impl any) ([]func(*middleware.Stack) error, aws.Retryer) {
	return append(append([]func(*middleware.Stack) error{}, APIOptions...), serveInProcess(impl)), aws.NopRetryer{}
}

// SDKEC2 returns c when it is an SDK client, else an SDK client in the
// Region whose operations c answers in process (see APIOptions).
func SDKEC2(c EC2API, region string) *ec2.Client {
	if sc, ok := c.(*ec2.Client); ok {
		return sc
	}
	opts, retryer := inProcessOptions(region, c)
	return ec2.New(ec2.Options{Region: region, Credentials: aws.AnonymousCredentials{}, APIOptions: opts, Retryer: retryer})
}

// SDKKMS is SDKEC2 for KMS.
func SDKKMS(c KMSAPI, region string) *kms.Client {
	if sc, ok := c.(*kms.Client); ok {
		return sc
	}
	opts, retryer := inProcessOptions(region, c)
	return kms.New(kms.Options{Region: region, Credentials: aws.AnonymousCredentials{}, APIOptions: opts, Retryer: retryer})
}

// sdkClients keeps the in-process SDK clients an engine built, one per
// implementation (by pointer) and Region: building an SDK client costs far
// more than one in-process call. A Clients that returns a new implementation
// for every call gets a new SDK client every time; the cache then starts
// over when full.
type sdkClients struct {
	mu sync.Mutex
	m  map[sdkKey]any
}

type sdkKey struct {
	impl   any
	region string
}

const maxSDKClients = 1024

// get returns the cached client of impl in region, building it with build.
// Only a pointer implementation is cached: its identity is the key.
func (c *sdkClients) get(impl any, region string, build func() any) any {
	if c == nil || reflect.ValueOf(impl).Kind() != reflect.Pointer {
		return build()
	}
	k := sdkKey{impl, region}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[k]; ok {
		return v
	}
	if c.m == nil || len(c.m) >= maxSDKClients {
		c.m = map[sdkKey]any{}
	}
	v := build()
	c.m[k] = v
	return v
}

// sdkEC2 is SDKEC2, reusing the engine's clients.
func (s *session) sdkEC2(c EC2API, region string) EC2API {
	if sc, ok := c.(*ec2.Client); ok {
		return sc
	}
	return s.sdk.get(c, region, func() any { return SDKEC2(c, region) }).(*ec2.Client)
}

// sdkKMS is SDKKMS, reusing the engine's clients.
func (s *session) sdkKMS(c KMSAPI, region string) KMSAPI {
	if sc, ok := c.(*kms.Client); ok {
		return sc
	}
	return s.sdk.get(c, region, func() any { return SDKKMS(c, region) }).(*kms.Client)
}
