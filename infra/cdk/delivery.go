package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/ebsguard/ebsguard/internal/deployment"
)

// deliveryTable is the table of published findings and notices
// (lambda/delivery): one item each, so that each reaches the topic once.
// On-demand, encrypted, TTL on expiresAt; the function may read and write
// its items, nothing else.
func deliveryTable(stack awscdk.Stack, role awsiam.Role) awsdynamodb.Table {
	table := awsdynamodb.NewTable(stack, jsii.String("Deliveries"), &awsdynamodb.TableProps{
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String(deployment.DeliveryPartitionKey), Type: awsdynamodb.AttributeType_STRING},
		SortKey:             &awsdynamodb.Attribute{Name: jsii.String(deployment.DeliverySortKey), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		Encryption:          awsdynamodb.TableEncryption_AWS_MANAGED,
		TimeToLiveAttribute: jsii.String(deployment.DeliveryTTLAttribute),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("RecordDeliveries"),
		Actions: jsii.Strings(deployment.DeliveryActions...), Resources: jsii.Strings(*table.TableArn()),
	}))
	return table
}

// onlyFunctionSends denies sqs:SendMessage on the re-check queue to every
// principal but the function's role: a re-check message is trusted because
// only the function can write one.
func onlyFunctionSends(queue awssqs.Queue, role awsiam.Role) {
	queue.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("OnlyTheFunctionSendsRechecks"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  jsii.Strings(*queue.QueueArn()),
		Conditions: &map[string]interface{}{"ArnNotEquals": map[string]interface{}{"aws:PrincipalArn": role.RoleArn()}},
	}))
}
