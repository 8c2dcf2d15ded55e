package rules_test

import (
	"fmt"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

// A shared AMI encrypted with its owner's key, launched without encryption
// parameters: the volume lands on the launcher's default key, as predicted,
// but not on the key the source was encrypted with.
func ExamplePredict() {
	k := rules.Keys{
		Source:     "arn:aws:kms:us-east-1:111111111111:key/owner",
		Default:    "arn:aws:kms:us-east-1:222222222222:key/aws-ebs",
		AWSManaged: "arn:aws:kms:us-east-1:222222222222:key/aws-ebs",
	}
	p, _ := rules.Predict(rules.Input{Op: rules.RunInstances, Source: rules.EncryptedSource}, k)
	fmt.Println(p.RuleID, p.Expected.KMSKeyARN)
	for _, f := range rules.Judge(p, rules.EncryptedWith(k.Default), k, rules.Policy{RequireEncryption: true}) {
		fmt.Println(f.Code, f.Severity)
	}
	// Output:
	// launch/encrypted/shared arn:aws:kms:us-east-1:222222222222:key/aws-ebs
	// DEFAULT_KEY_FALLBACK high
}
