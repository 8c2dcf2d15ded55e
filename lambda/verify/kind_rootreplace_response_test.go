package verify

import (
	"encoding/json"
	"testing"
)

// The task ID is read from each form a CreateReplaceRootVolumeTask response
// may take; another shape reads no ID (the lookup then goes by instance).
func TestReplaceRootResponseTaskID(t *testing.T) {
	for _, tt := range []struct{ name, response, want string }{
		{"wrapped", `{"CreateReplaceRootVolumeTaskResponse":{"replaceRootVolumeTask":{"replaceRootVolumeTaskId":"replacevol-1","taskState":"pending"},"requestId":"r"}}`, "replacevol-1"},
		{"task member", `{"replaceRootVolumeTask":{"replaceRootVolumeTaskId":"replacevol-2"}}`, "replacevol-2"},
		{"flat", `{"replaceRootVolumeTaskId":"replacevol-3"}`, "replacevol-3"},
		{"wrapped flat, PascalCase", `{"CreateReplaceRootVolumeTaskResponse":{"ReplaceRootVolumeTaskId":"replacevol-4"}}`, "replacevol-4"},
		{"no task", `{"requestId":"r"}`, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var r replaceRootResponse
			if err := json.Unmarshal([]byte(tt.response), &r); err != nil {
				t.Fatal(err)
			}
			if got := r.taskID(); got != tt.want {
				t.Errorf("task ID %q; want %q", got, tt.want)
			}
		})
	}
}
