package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
	"github.com/ebsguard/ebsguard/internal/deployment"
)

// noticeWindows is the table of notice windows (lambda/noticewindow): the
// function counts the events of one error class, account and Region per
// window, and publishes one notice when the window closes. Its key and TTL
// attributes are the delivery table's, so that one table can hold both.
func noticeWindows(stack awscdk.Stack, role awsiam.IRole) awsdynamodb.Table {
	table := awsdynamodb.NewTable(stack, jsii.String("NoticeWindows"), &awsdynamodb.TableProps{
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String(deployment.NoticeWindowPartitionKey), Type: awsdynamodb.AttributeType_STRING},
		SortKey:             &awsdynamodb.Attribute{Name: jsii.String(deployment.NoticeWindowSortKey), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		TimeToLiveAttribute: jsii.String(deployment.NoticeWindowTTLAttribute),
		Encryption:          awsdynamodb.TableEncryption_AWS_MANAGED,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		// Windows last an hour and expire a day later: nothing to keep.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("CountNotices"), Actions: jsii.Strings(deployment.NoticeWindowActions...), Resources: jsii.Strings(*table.TableArn()),
	}))
	return table
}
