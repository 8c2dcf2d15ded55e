// Command record prints the CloudTrail record of a sample's EventBridge event
// on one line, with its eventID replaced by __ID__, for bench/replay.sh.
package main

import (
	"encoding/json"
	"fmt"
	"os"
)

func main() {
	b, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var ev struct{ Detail map[string]any }
	if err := json.Unmarshal(b, &ev); err != nil || ev.Detail == nil {
		fmt.Fprintln(os.Stderr, "not an EventBridge event:", err)
		os.Exit(1)
	}
	ev.Detail["eventID"] = "__ID__"
	out, _ := json.Marshal(ev.Detail)
	fmt.Println(string(out))
}
