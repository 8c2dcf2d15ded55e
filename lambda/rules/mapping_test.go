package rules_test

import (
	"reflect"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

func TestMergeMappings(t *testing.T) {
	ami := []rules.Mapping{
		{DeviceName: "/dev/xvda", SnapshotID: "snap-root", Encrypted: rules.True},
		{DeviceName: "/dev/sdb", VirtualName: "ephemeral0"},
		{DeviceName: "/dev/sdc", SnapshotID: "snap-data"},
	}
	tests := []struct {
		name     string
		template []rules.Mapping
		request  []rules.Mapping
		want     []rules.Mapping
	}{
		{"AMI alone", nil, nil, ami},
		{
			"template override keeps the AMI snapshot",
			[]rules.Mapping{{DeviceName: "/dev/xvda", Encrypted: rules.True, KMSKeyID: "alias/web"}},
			nil,
			[]rules.Mapping{{DeviceName: "/dev/xvda", SnapshotID: "snap-root", Encrypted: rules.True, KMSKeyID: "alias/web"}, ami[1], ami[2]},
		},
		{
			"request overrides template, noDevice removes, new device appended",
			[]rules.Mapping{{DeviceName: "/dev/xvda", Encrypted: rules.True, KMSKeyID: "alias/web"}},
			[]rules.Mapping{{DeviceName: "/dev/xvda", Encrypted: rules.False}, {DeviceName: "/dev/sdc", NoDevice: true}, {DeviceName: "/dev/sdf", Encrypted: rules.True}},
			[]rules.Mapping{{DeviceName: "/dev/xvda", SnapshotID: "snap-root", Encrypted: rules.False}, ami[1], {DeviceName: "/dev/sdf", Encrypted: rules.True}},
		},
		{
			"request names its own snapshot",
			nil,
			[]rules.Mapping{{DeviceName: "/dev/sdc", SnapshotID: "snap-other"}},
			[]rules.Mapping{ami[0], ami[1], {DeviceName: "/dev/sdc", SnapshotID: "snap-other"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			amiCopy := append([]rules.Mapping(nil), ami...)
			got := rules.MergeMappings(amiCopy, tt.template, tt.request)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("MergeMappings() = %+v; want %+v", got, tt.want)
			}
		})
	}
}

// An AMI's mapping of a new empty volume may carry its own Encrypted; it is
// the row's Encrypted unless the template or the request sets one.
func TestMergeMappingsAMIEmptyEncrypted(t *testing.T) {
	ami := []rules.Mapping{
		{DeviceName: "/dev/xvda", SnapshotID: "snap-root"},
		{DeviceName: "/dev/sdf", Encrypted: rules.True},
	}
	tests := []struct {
		name              string
		template, request []rules.Mapping
		want              rules.Mapping
	}{
		{"AMI flag alone", nil, nil, rules.Mapping{DeviceName: "/dev/sdf", Encrypted: rules.True}},
		{"overrides that set nothing keep it", []rules.Mapping{{DeviceName: "/dev/sdf"}}, []rules.Mapping{{DeviceName: "/dev/sdf"}}, rules.Mapping{DeviceName: "/dev/sdf", Encrypted: rules.True}},
		{"the request sets false", nil, []rules.Mapping{{DeviceName: "/dev/sdf", Encrypted: rules.False}}, rules.Mapping{DeviceName: "/dev/sdf", Encrypted: rules.False}},
		{"the template sets false", []rules.Mapping{{DeviceName: "/dev/sdf", Encrypted: rules.False}}, nil, rules.Mapping{DeviceName: "/dev/sdf", Encrypted: rules.False}},
		{"a key alone replaces the encryption parameters", nil, []rules.Mapping{{DeviceName: "/dev/sdf", KMSKeyID: "alias/web"}}, rules.Mapping{DeviceName: "/dev/sdf", KMSKeyID: "alias/web"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rules.MergeMappings(append([]rules.Mapping(nil), ami...), tt.template, tt.request)
			if len(got) != 2 || !reflect.DeepEqual(got[1], tt.want) {
				t.Errorf("MergeMappings() = %+v; want /dev/sdf %+v", got, tt.want)
			}
		})
	}
}
