package localaws_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// Every read of the engine's interfaces (verify.EC2API, verify.KMSAPI) is
// answered in the three places an AWS read is declared: by the world fake
// (through the SDK stack, as replay calls it), by localaws on the wire, and
// kept by world.Region.Record for `world capture`. A method added to an
// interface without its world answer, its wire form or its recording fails
// here (docs/adding-a-kind.md).
func TestEveryReadIsAnswered(t *testing.T) {
	const account, region = "222222222222", "us-east-1"
	w := &world.World{Accounts: map[string]map[string]*world.Region{account: {region: {}}}}
	s := start(t)
	s.SetWorld(w)
	cfg := sdkConfigAs(t, s.URL(), account)
	cfg.Region = region
	wire := map[string]any{"ec2": ec2.NewFromConfig(cfg), "kms": kms.NewFromConfig(cfg)}
	fakeEC2, _ := w.EC2(context.Background(), account, region)
	fakeKMS, _ := w.KMS(context.Background(), account, region)
	fake := map[string]any{"ec2": verify.SDKEC2(fakeEC2, region), "kms": verify.SDKKMS(fakeKMS, region)}
	for service, iface := range map[string]reflect.Type{"ec2": reflect.TypeFor[verify.EC2API](), "kms": reflect.TypeFor[verify.KMSAPI]()} {
		for i := range iface.NumMethod() {
			m := iface.Method(i)
			t.Run(service+":"+m.Name, func(t *testing.T) {
				for _, via := range []struct {
					name   string
					client any
				}{{"world", fake[service]}, {"localaws", wire[service]}} {
					out, err := call(via.client, m.Name, m.Type.In(1))
					if code := errCode(err); err != nil && (code == "" || code == "InvalidAction" || code == "UnsupportedOperationException") {
						t.Errorf("%s does not answer %s: %v", via.name, m.Name, err)
					}
					if err == nil && !new(world.Region).Record(nil, out) {
						t.Errorf("world.Region.Record does not keep %T", out)
					}
				}
				// Record knows the output whether or not this call got one.
				if zero := reflect.New(m.Type.Out(0).Elem()).Interface(); !new(world.Region).Record(nil, zero) {
					t.Errorf("world.Region.Record does not keep %T", zero)
				}
			})
		}
	}
}

// call calls client's method name with an input of type in whose string
// and enum fields name "x": a lookup of something that does not exist, which every
// read answers (with an answer or a not-found) once it is served.
func call(client any, name string, in reflect.Type) (any, error) {
	input := reflect.New(in.Elem())
	for i := range input.Elem().NumField() {
		f := input.Elem().Field(i)
		switch {
		case !f.CanSet() || input.Elem().Type().Field(i).Name == "NextToken":
		case f.Type() == reflect.TypeFor[*string]():
			x := "x"
			f.Set(reflect.ValueOf(&x))
		case f.Type() == reflect.TypeFor[[]string]():
			f.Set(reflect.ValueOf([]string{"x"}))
		case f.Kind() == reflect.String:
			// An enum (types.SnapshotAttributeName and the like): the
			// SDK refuses a required one left empty before any server
			// is asked, so an empty one would fail the read once served.
			f.SetString("x")
		}
	}
	res := reflect.ValueOf(client).MethodByName(name).Call([]reflect.Value{reflect.ValueOf(context.Background()), input})
	err, _ := res[1].Interface().(error)
	return res[0].Interface(), err
}
