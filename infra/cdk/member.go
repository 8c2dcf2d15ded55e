package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
	"github.com/ebsguard/ebsguard/internal/deployment"
)

// NewMemberStack is deployed to every account and Region of the organization
// by a service-managed StackSet: it forwards the events to the central bus
// and, in one Region only (IAM is global), creates the read-only role the
// central Lambda assumes (and, when AuditorRoleArn is set, the auditor role
// that role assumes for `ebsguard audit`, which alone reads CloudTrail).
func NewMemberStack(scope constructs.Construct, id string, props *awscdk.StackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, &id, props)

	busARN := awscdk.NewCfnParameter(stack, jsii.String("CentralEventBusArn"), &awscdk.CfnParameterProps{
		Type: jsii.String("String"), Description: jsii.String("The central stack's EventBusArn output"),
		AllowedPattern: jsii.String("^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/.+$"),
	})
	centralRole := awscdk.NewCfnParameter(stack, jsii.String("CentralFunctionRoleArn"), &awscdk.CfnParameterProps{
		Type: jsii.String("String"), Description: jsii.String("The central stack's FunctionRoleArn output"),
		AllowedPattern: jsii.String("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$"),
	})
	orgID := organizationID(stack, "The AWS Organizations ID (o-...); the reader role trusts only its principals")
	auditor := parameter(stack, deployment.AuditorRoleParameter)
	roleRegion := awscdk.NewCfnParameter(stack, jsii.String("ReaderRoleRegion"), &awscdk.CfnParameterProps{
		Type: jsii.String("String"), Default: jsii.String("us-east-1"),
		Description: jsii.String("The one Region whose stack instance creates the global reader role"),
	})

	forward := awsiam.NewRole(stack, jsii.String("ForwardRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil),
		Description: jsii.String("Lets EventBridge forward " + deployment.EventList() + " events to the ebsguard bus"),
	})
	forward.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("events:PutEvents"), Resources: jsii.Strings(*busARN.ValueAsString()),
	}))
	awsevents.NewRule(stack, jsii.String("Forward"), &awsevents.RuleProps{
		// Named, so that `ebsguard doctor` finds it in every account and Region.
		RuleName:     jsii.String(deployment.ForwardRuleName),
		Description:  jsii.String("Forwards " + deployment.EventList() + " to the ebsguard bus"),
		EventPattern: eventPattern(),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewEventBus(
			awsevents.EventBus_FromEventBusArn(stack, jsii.String("CentralBus"), busARN.ValueAsString()),
			&awseventstargets.EventBusProps{Role: forward})},
	})

	inRoleRegion := awscdk.NewCfnCondition(stack, jsii.String("InReaderRoleRegion"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionEquals(stack.Region(), roleRegion.ValueAsString()),
	})
	reader := awsiam.NewRole(stack, jsii.String("ReaderRole"), &awsiam.RoleProps{
		RoleName: jsii.String(deployment.ReaderRoleName),
		AssumedBy: awsiam.NewArnPrincipal(centralRole.ValueAsString()).WithConditions(&map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:PrincipalOrgID": orgID.ValueAsString()},
		}),
		Description: jsii.String("ebsguard: read-only view of EBS encryption, for the central function"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"read": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
			Statements: &[]awsiam.PolicyStatement{
				awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Sid: jsii.String("ReadEncryptionState"), Actions: jsii.Strings(deployment.ReaderRoleActions()...), Resources: jsii.Strings("*"),
				}),
			},
		})},
	})
	reader.Node().DefaultChild().(awsiam.CfnRole).CfnOptions().SetCondition(inRoleRegion)

	// The auditor role, for `ebsguard audit`: the engine's reads and
	// CloudTrail event history, trusted by AuditorRoleArn alone, and only
	// when it is set.
	hasAuditor := awscdk.NewCfnCondition(stack, jsii.String(deployment.AuditorCondition), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionNot(awscdk.Fn_ConditionEquals(auditor.ValueAsString(), jsii.String(""))),
	})
	auditorHere := awscdk.NewCfnCondition(stack, jsii.String("AuditorRoleHere"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionAnd(inRoleRegion, hasAuditor),
	})
	auditorRole := awsiam.NewRole(stack, jsii.String("AuditorRole"), &awsiam.RoleProps{
		RoleName: jsii.String(deployment.AuditorRoleName),
		AssumedBy: awsiam.NewArnPrincipal(auditor.ValueAsString()).WithConditions(&map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:PrincipalOrgID": orgID.ValueAsString()},
		}),
		Description: jsii.String("ebsguard audit: read-only view of EBS encryption and CloudTrail event history, for AuditorRoleArn"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"read": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
			Statements: &[]awsiam.PolicyStatement{
				awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Sid: jsii.String("ReadEncryptionState"), Actions: jsii.Strings(deployment.EngineReadActions...), Resources: jsii.Strings("*"),
				}),
				awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Sid: jsii.String("ReadEventHistory"), Actions: jsii.Strings(deployment.AuditActions...), Resources: jsii.Strings("*"),
				}),
			},
		})},
	})
	auditorRole.Node().DefaultChild().(awsiam.CfnRole).CfnOptions().SetCondition(auditorHere)
	cdknag.NagSuppressions_AddResourceSuppressions(auditorRole, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		AppliesTo: &[]interface{}{"Resource::*"},
		Reason:    jsii.String("ec2:Describe*/GetEbs*, kms:DescribeKey and cloudtrail:LookupEvents support no resource-level permissions"),
	}}, jsii.Bool(true))

	doctorRole(stack, auditor, orgID, hasAuditor, inRoleRegion)

	cdknag.NagSuppressions_AddResourceSuppressions(reader, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		AppliesTo: &[]interface{}{"Resource::*"},
		Reason:    jsii.String("ec2:Describe*/GetEbs* and kms:DescribeKey support no resource-level permissions"),
	}}, jsii.Bool(true))
	return stack
}
