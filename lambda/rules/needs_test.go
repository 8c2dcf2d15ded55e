package rules_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

// Keys outside KeysNeeded never change a prediction or a judgement: for every
// input of every kind, Predict and Judge with only the needed keys agree with
// Predict and Judge with all of them, whatever the resource actually got.
func TestKeysNeededSuffice(t *testing.T) {
	all := rules.Keys{Source: src, Default: def, AWSManaged: awsm, Request: req}
	other := "arn:aws:kms:us-east-1:222222222222:key/other"
	actuals := []rules.State{{}, rules.EncryptedWith(src), rules.EncryptedWith(def), rules.EncryptedWith(awsm), rules.EncryptedWith(req), rules.EncryptedWith(other)}
	pols := []rules.Policy{{RequireEncryption: true}, {LimitKeys: true, AllowedKeys: []string{req}}}
	for _, k := range rules.Kinds() {
		for _, in := range k.Inputs() {
			need, err := rules.KeysNeeded(in)
			if err != nil {
				t.Fatalf("KeysNeeded(%+v): %v", in, err)
			}
			var some rules.Keys
			for _, role := range need.Roles() {
				set(&some, role, all.ARN(role))
			}
			want, werr := rules.Predict(in, all)
			got, gerr := rules.Predict(in, some)
			if (werr == nil) != (gerr == nil) || !reflect.DeepEqual(got, want) {
				t.Fatalf("%+v needs %v: Predict = %+v, %v; with all keys %+v, %v", in, need.Roles(), got, gerr, want, werr)
			}
			if werr != nil {
				continue
			}
			for _, a := range actuals {
				for _, pol := range pols {
					if w, g := rules.Judge(want, a, all, pol), rules.Judge(got, a, some, pol); !slices.Equal(w, g) {
						t.Fatalf("%+v needs %v: Judge(%+v) = %v; with all keys %v", in, need.Roles(), a, g, w)
					}
				}
			}
		}
	}
}

func set(k *rules.Keys, role rules.KeyRole, arn string) {
	switch role {
	case rules.SourceKeyRole:
		k.Source = arn
	case rules.DefaultKeyRole:
		k.Default = arn
	case rules.AWSManagedKeyRole:
		k.AWSManaged = arn
	case rules.RequestKeyRole:
		k.Request = arn
	}
}
