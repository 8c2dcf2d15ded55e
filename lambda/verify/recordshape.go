package verify

import (
	"reflect"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

// recordShapes are the types each kind decodes a record's requestParameters
// and responseElements into: what of a record the engine reads, and so all
// that `world capture` keeps of them (lambda/capture prunes a record to these
// types' JSON members). A test in lambda/capture type-checks this package
// and fails when a kind decodes a record into a type not listed here; a test
// here fails when a kind has no entry. Each kind registers its own
// (engineFor, in its kind_<kind>.go).
var recordShapes = map[rules.Op][2]reflect.Type{}

// settingShapes are the same for the settings changes (rules.SettingChanges,
// not kinds): only ModifyEbsDefaultKmsKeyId's key is read (settingKey); the
// other three read nothing of the request or the response, and capture
// keeps nothing of them.
var settingShapes = map[rules.SettingOp][2]reflect.Type{
	rules.ModifyDefaultKey: {reflect.TypeFor[settingKeyRecord](), reflect.TypeFor[settingKeyRecord]()},
}

// RecordShape returns the types the engine decodes an event's
// requestParameters and responseElements into; ok is false for an event no
// kind reads.
func RecordShape(eventName string) (request, response reflect.Type, ok bool) {
	if c, ok := rules.SettingChangeByEvent(eventName); ok {
		s, ok := settingShapes[c.Op]
		return s[0], s[1], ok
	}
	k, ok := rules.KindByEvent(eventName)
	if !ok {
		return nil, nil, false
	}
	s, ok := recordShapes[k.Op]
	return s[0], s[1], ok
}

// RecordShapeTypes lists every type of recordShapes, for the test that holds
// them to the kinds' decoding.
func RecordShapeTypes() []reflect.Type {
	var out []reflect.Type
	for _, s := range recordShapes {
		out = append(out, s[0], s[1])
	}
	for _, s := range settingShapes {
		out = append(out, s[0], s[1])
	}
	return out
}
