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
