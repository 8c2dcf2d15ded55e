package verify

import (
	"reflect"
	"slices"
)

// ReadActions are the IAM actions of every read the engine can make, sorted:
// one per method of EC2API ("ec2:<Method>") and of KMSAPI
// ("kms:<Method>"), derived from the interfaces, so that a read added to an
// interface is granted by the deployments (internal/deployment) with no
// further line. An SDK method's name is its API operation's, and an EC2 or
// KMS operation's IAM action is the operation's name.
func ReadActions() []string {
	var out []string
	for prefix, iface := range map[string]reflect.Type{
		"ec2": reflect.TypeFor[EC2API](),
		"kms": reflect.TypeFor[KMSAPI](),
	} {
		for i := range iface.NumMethod() {
			out = append(out, prefix+":"+iface.Method(i).Name)
		}
	}
	slices.Sort(out)
	return out
}
