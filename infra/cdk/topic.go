package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
)

// findingsTopic is the topic the function and the alarms publish to,
// encrypted with a key that only they may use, with an optional e-mail
// subscription.
func findingsTopic(stack awscdk.Stack, role awsiam.IRole) (awssns.Topic, awskms.Key) {
	email := awscdk.NewCfnParameter(stack, jsii.String("NotificationEmail"), &awscdk.CfnParameterProps{
		Type: jsii.String("String"), Default: jsii.String(""),
		Description: jsii.String("An e-mail address to subscribe to the findings topic (optional)"),
	})
	// Both CloudWatch statements are limited to this account's alarms
	// (aws:SourceAccount): the service principal alone would admit any
	// account's alarm that names this topic.
	fromThisAccount := &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": stack.Account()}}
	cloudwatch := awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)

	key := awskms.NewKey(stack, jsii.String("TopicKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the ebsguard findings topic"),
		EnableKeyRotation: jsii.Bool(true),
		Policy: awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("AccountAdministersButDoesNotUse"),
				Principals: &[]awsiam.IPrincipal{awsiam.NewAccountRootPrincipal()},
				Actions: jsii.Strings("kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
					"kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
					"kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"),
				Resources: jsii.Strings("*"),
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("OnlyTheFunctionPublishes"),
				Principals: &[]awsiam.IPrincipal{role},
				Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
				Resources:  jsii.Strings("*"),
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("AlarmsPublish"),
				Principals: &[]awsiam.IPrincipal{cloudwatch},
				Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
				Resources:  jsii.Strings("*"),
				Conditions: fromThisAccount,
			}),
		}}),
	})
	topic := awssns.NewTopic(stack, jsii.String("Findings"), &awssns.TopicProps{
		DisplayName: jsii.String("ebsguard findings"), MasterKey: key, EnforceSSL: jsii.Bool(true),
	})
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{cloudwatch},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  jsii.Strings(*topic.TopicArn()),
		Conditions: fromThisAccount,
	}))
	sub := awssns.NewCfnSubscription(stack, jsii.String("EmailSubscription"), &awssns.CfnSubscriptionProps{
		TopicArn: topic.TopicArn(), Protocol: jsii.String("email"), Endpoint: email.ValueAsString(),
	})
	sub.CfnOptions().SetCondition(awscdk.NewCfnCondition(stack, jsii.String("HasEmail"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionNot(awscdk.Fn_ConditionEquals(email.ValueAsString(), jsii.String(""))),
	}))
	return topic, key
}
