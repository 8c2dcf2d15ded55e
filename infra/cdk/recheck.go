package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/ebsguard/ebsguard/internal/deployment"
)

// recheckQueues are the re-check queue (the function sends it records whose
// results are not visible yet) and its own dead-letter queue.
func recheckQueues(stack awscdk.Stack) (queue, deadLetters awssqs.Queue) {
	deadLetters = awssqs.NewQueue(stack, jsii.String("RecheckDeadLetters"), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_SQS_MANAGED, EnforceSSL: jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Seconds(jsii.Number(deployment.RecheckDeadLetterRetentionSec)),
	})
	queue = awssqs.NewQueue(stack, jsii.String("Recheck"), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_SQS_MANAGED, EnforceSSL: jsii.Bool(true),
		RetentionPeriod:   awscdk.Duration_Seconds(jsii.Number(deployment.RecheckRetentionSec)),
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(deployment.RecheckVisibilitySec)),
		DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: deadLetters, MaxReceiveCount: jsii.Number(deployment.RecheckMaxReceiveCount)},
	})
	return queue, deadLetters
}

// consumeRechecks lets the function send to the re-check queue and consume
// it through an event source mapping. The grants are explicit rather than
// CDK's grantConsumeMessages, which would add sqs:GetQueueUrl.
func consumeRechecks(stack awscdk.Stack, fn awslambda.Function, role awsiam.Role, queue awssqs.Queue) {
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("QueueRechecks"),
		Actions: jsii.Strings(deployment.RecheckSendActions...), Resources: jsii.Strings(*queue.QueueArn()),
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("ConsumeRechecks"),
		Actions: jsii.Strings(deployment.RecheckConsumeActions...), Resources: jsii.Strings(*queue.QueueArn()),
	}))
	awslambda.NewEventSourceMapping(stack, jsii.String("RecheckMapping"), &awslambda.EventSourceMappingProps{
		Target:                  fn,
		EventSourceArn:          queue.QueueArn(),
		BatchSize:               jsii.Number(deployment.RecheckBatchSize),
		ReportBatchItemFailures: jsii.Bool(true),
	})
}
