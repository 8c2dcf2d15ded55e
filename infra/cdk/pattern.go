package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/jsii-runtime-go"
	"github.com/ebsguard/ebsguard/internal/deployment"
)

// eventPattern is deployment.EventPattern in CDK's shape.
func eventPattern() *awsevents.EventPattern {
	p := deployment.EventPattern()
	return &awsevents.EventPattern{
		Source:     stringList(p["source"]),
		DetailType: stringList(p["detail-type"]),
		Detail:     &map[string]interface{}{"eventSource": *stringList(p["detail"].(map[string]any)["eventSource"]), "eventName": *stringList(p["detail"].(map[string]any)["eventName"])},
	}
}

func stringList(v any) *[]*string {
	var out []*string
	for _, s := range v.([]any) {
		out = append(out, jsii.String(s.(string)))
	}
	return &out
}
