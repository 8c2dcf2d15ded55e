// Command hello is the cold-start baseline of bench/coldstart.sh: the
// smallest aws-lambda-go function, built exactly as the ebsguard bootstrap is
// (lambda.norpc, static, stripped, trimmed), so that the difference between
// the two is the work ebsguard does before and for its first event.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

// handle takes the payload as the ebsguard handler does (raw JSON) and
// answers without looking at it.
func handle(context.Context, json.RawMessage) (string, error) {
	return "hello", nil
}

func main() {
	lambda.Start(handle)
}
