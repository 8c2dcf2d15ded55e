package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
	"github.com/ebsguard/ebsguard/internal/deployment"
)

// securityHub declares the opt-in parameter and, only when it is "true", a
// policy that lets the function import findings through the account's
// default product. A policy of its own, because a CloudFormation condition
// applies to a resource, not to one statement of the role's default policy.
func securityHub(stack awscdk.Stack, role awsiam.IRole) awscdk.CfnParameter {
	enable := parameter(stack, deployment.EnableSecurityHubParameter)
	enabled := awscdk.NewCfnCondition(stack, jsii.String(deployment.SecurityHubCondition), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionEquals(enable.ValueAsString(), jsii.String("true")),
	})
	policy := awsiam.NewPolicy(stack, jsii.String("SecurityHubPolicy"), &awsiam.PolicyProps{
		Roles: &[]awsiam.IRole{role},
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ImportFindings"),
			Actions:   jsii.Strings(deployment.SecurityHubActions...),
			Resources: &[]*string{awscdk.Fn_Sub(jsii.String(deployment.SecurityHubProductARNSub), nil)},
		})},
	})
	policy.Node().DefaultChild().(awsiam.CfnPolicy).CfnOptions().SetCondition(enabled)
	return enable
}
