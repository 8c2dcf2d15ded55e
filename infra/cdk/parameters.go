package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/ebsguard/ebsguard/internal/deployment"
)

// parameter declares a stack parameter as internal/deployment describes it.
func parameter(stack awscdk.Stack, p deployment.Parameter) awscdk.CfnParameter {
	props := &awscdk.CfnParameterProps{
		Type: jsii.String("String"), Default: jsii.String(p.Default), Description: jsii.String(p.Description),
	}
	if p.AllowedPattern != "" {
		props.AllowedPattern = jsii.String(p.AllowedPattern)
	}
	if len(p.AllowedValues) > 0 {
		props.AllowedValues = jsii.Strings(p.AllowedValues...)
	}
	return awscdk.NewCfnParameter(stack, jsii.String(p.Name), props)
}

// organizationID declares the stack parameter both stacks pin their trust to.
func organizationID(stack awscdk.Stack, description string) awscdk.CfnParameter {
	return awscdk.NewCfnParameter(stack, jsii.String("OrganizationId"), &awscdk.CfnParameterProps{
		Type: jsii.String("String"), AllowedPattern: jsii.String("^o-[a-z0-9]{10,32}$"),
		Description: jsii.String(description),
	})
}
