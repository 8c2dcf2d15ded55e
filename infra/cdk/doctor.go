package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
	"github.com/ebsguard/ebsguard/internal/deployment"
)

// doctorRole is the member role `ebsguard doctor` assumes to read the
// forwarding rule: created with the reader role (one Region, IAM is global)
// and only when the stack names an auditor, whom alone it trusts, within
// the organization. The reader role, which the function also assumes, gets
// none of it.
func doctorRole(stack awscdk.Stack, auditor awscdk.CfnParameter, orgID awscdk.CfnParameter, hasAuditor, inRoleRegion awscdk.CfnCondition) {
	role := awsiam.NewRole(stack, jsii.String("DoctorRole"), &awsiam.RoleProps{
		RoleName: jsii.String(deployment.DoctorRoleName),
		AssumedBy: awsiam.NewArnPrincipal(auditor.ValueAsString()).WithConditions(&map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:PrincipalOrgID": orgID.ValueAsString()},
		}),
		Description: jsii.String("ebsguard doctor: reads the forwarding rule, for the auditor role only"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"read-forwarding-rule": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
			Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid: jsii.String("ReadForwardingRule"), Actions: jsii.Strings(deployment.DoctorMemberActions...),
				Resources: jsii.Strings("arn:" + *stack.Partition() + ":events:*:" + *stack.Account() + ":rule/" + deployment.ForwardRuleName),
			})},
		})},
	})
	both := awscdk.NewCfnCondition(stack, jsii.String("DoctorRoleHere"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionAnd(hasAuditor, inRoleRegion),
	})
	role.Node().DefaultChild().(awsiam.CfnRole).CfnOptions().SetCondition(both)
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		AppliesTo: &[]interface{}{"Resource::arn:<AWS::Partition>:events:*:<AWS::AccountId>:rule/" + deployment.ForwardRuleName},
		Reason:    jsii.String("the role is global and the forwarding rule has the same name in every Region of the account"),
	}}, jsii.Bool(true))
}

// doctorPolicy is the managed policy to attach to the auditor's role: what
// `ebsguard doctor` reads in the central account, and the member roles it
// assumes. The function's role gets none of it.
func doctorPolicy(stack awscdk.Stack, orgID awscdk.CfnParameter, resources map[string][]*string) awsiam.ManagedPolicy {
	var stmts []awsiam.PolicyStatement
	for _, a := range deployment.DoctorCentralActions {
		res := resources[a]
		if res == nil {
			res = []*string{jsii.String("*")}
		}
		stmts = append(stmts, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings(a), Resources: &res}))
	}
	stmts = append(stmts, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("AssumeMemberRoles"),
		Actions: jsii.Strings("sts:AssumeRole"),
		Resources: jsii.Strings("arn:"+*stack.Partition()+":iam::*:role/"+deployment.DoctorRoleName,
			"arn:"+*stack.Partition()+":iam::*:role/"+deployment.ReaderRoleName),
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:ResourceOrgID": orgID.ValueAsString()}},
	}))
	p := awsiam.NewManagedPolicy(stack, jsii.String("DoctorPolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("ebsguard doctor: attach to the auditor role (AuditorRoleArn of the member stacks)"),
		Statements:  &stmts,
	})
	cdknag.NagSuppressions_AddResourceSuppressions(p, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		AppliesTo: &[]interface{}{"Resource::*",
			"Resource::arn:<AWS::Partition>:iam::*:role/" + deployment.DoctorRoleName,
			"Resource::arn:<AWS::Partition>:iam::*:role/" + deployment.ReaderRoleName},
		Reason: jsii.String("cloudwatch:DescribeAlarms, lambda:ListEventSourceMappings and securityhub:DescribeHub are read on *; " +
			"the member roles have the same name in every account, pinned to the organization by aws:ResourceOrgID"),
	}}, jsii.Bool(true))
	return p
}
