package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
	"github.com/ebsguard/ebsguard/internal/deployment"
)

// BusName is the central event bus the member accounts forward to.
const BusName = "ebsguard"

// CentralProps configure the central stack.
type CentralProps struct {
	awscdk.StackProps
	// AssetDir holds the bootstrap built by `make build`.
	AssetDir string
}

// NewCentralStack is deployed once, in the security or audit account: the
// organization's event bus, the Lambda, the encrypted findings topic, the
// re-check queue, the dead-letter queues and the alarms.
func NewCentralStack(scope constructs.Construct, id string, props *CentralProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, &id, &props.StackProps)

	orgID := organizationID(stack, "The AWS Organizations ID (o-...); only its accounts may put events on the bus")
	policy := awscdk.NewCfnParameter(stack, jsii.String("PolicyJson"), &awscdk.CfnParameterProps{
		Type: jsii.String("String"), Default: jsii.String(`{"requireEncryption": true}`),
		Description: jsii.String("The ebsguard policy document (requireEncryption, allowedKeys) as JSON"),
	})
	deadline := parameter(stack, deployment.RecheckDeadlineParameter)

	role := awsiam.NewRole(stack, jsii.String("FunctionRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("ebsguard: reads EBS encryption state, assumes the member accounts' reader role, publishes findings"),
	})
	securityHubOn := securityHub(stack, role)
	topic, key := findingsTopic(stack, role)

	dlq := awssqs.NewQueue(stack, jsii.String("DeadLetters"), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_SQS_MANAGED, EnforceSSL: jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	recheck, recheckDLQ := recheckQueues(stack)
	onlyFunctionSends(recheck, role)
	deliveries := deliveryTable(stack, role)
	logs := awslogs.NewLogGroup(stack, jsii.String("FunctionLogs"), &awslogs.LogGroupProps{
		Retention: awslogs.RetentionDays_THREE_MONTHS, RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})

	windows := noticeWindows(stack, role)
	// The bus the members forward to; the function also puts its finding
	// events and operational notices on it (docs/integrations.md).
	bus := awsevents.NewEventBus(stack, jsii.String("Bus"), &awsevents.EventBusProps{EventBusName: jsii.String(BusName)})

	fn := awslambda.NewFunction(stack, jsii.String("Function"), &awslambda.FunctionProps{
		Description:     jsii.String(deployment.FunctionDescription()),
		Runtime:         awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:    awslambda.Architecture_ARM_64(),
		Handler:         jsii.String(deployment.Handler),
		Code:            awslambda.Code_FromAsset(jsii.String(props.AssetDir), nil),
		MemorySize:      jsii.Number(deployment.MemoryMB),
		Timeout:         awscdk.Duration_Seconds(jsii.Number(deployment.TimeoutSec)),
		Role:            role,
		LogGroup:        logs,
		LoggingFormat:   awslambda.LoggingFormat_JSON,
		DeadLetterQueue: dlq,
		RetryAttempts:   jsii.Number(deployment.AsyncRetries),
		Environment: &map[string]*string{
			deployment.EnvTopicARN:          topic.TopicArn(),
			deployment.EnvPolicy:            policy.ValueAsString(),
			deployment.EnvReaderRole:        jsii.String(deployment.ReaderRoleName),
			deployment.EnvRecheckQueueURL:   recheck.QueueUrl(),
			deployment.EnvRecheckDeadline:   deadline.ValueAsString(),
			deployment.EnvSecurityHub:       securityHubOn.ValueAsString(),
			deployment.EnvDeliveryTable:     deliveries.TableName(),
			deployment.EnvEventBus:          bus.EventBusName(),
			deployment.EnvNoticeWindowTable: windows.TableName(),
		},
	})

	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ReadEncryptionState"), Actions: jsii.Strings(deployment.EngineReadActions...), Resources: jsii.Strings("*"),
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("ReadMemberAccounts"),
		Actions:    jsii.Strings("sts:AssumeRole"),
		Resources:  jsii.Strings("arn:" + *stack.Partition() + ":iam::*:role/" + deployment.ReaderRoleName),
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:ResourceOrgID": orgID.ValueAsString()}},
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("PublishFindings"), Actions: jsii.Strings("sns:Publish"), Resources: jsii.Strings(*topic.TopicArn()),
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("EncryptFindings"), Actions: jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"), Resources: jsii.Strings(*key.KeyArn()),
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("PutFindingEvents"), Actions: jsii.Strings(deployment.FindingEventActions...), Resources: jsii.Strings(*bus.EventBusArn()),
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("Logs"), Actions: jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"), Resources: jsii.Strings(*logs.LogGroupArn()),
	}))
	consumeRechecks(stack, fn, role, recheck)

	bus.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("OrganizationPutsEvents"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("events:PutEvents"),
		Resources:  jsii.Strings(*bus.EventBusArn()),
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:PrincipalOrgID": orgID.ValueAsString()}},
	}))
	target := func() awsevents.IRuleTarget {
		return awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
			DeadLetterQueue: dlq,
			RetryAttempts:   jsii.Number(deployment.EventRetries),
			MaxEventAge:     awscdk.Duration_Seconds(jsii.Number(deployment.EventMaxAgeS)),
		})
	}
	awsevents.NewRule(stack, jsii.String("OrganizationRule"), &awsevents.RuleProps{
		Description: jsii.String(deployment.EventList() + " forwarded by the member accounts"),
		EventBus:    bus, EventPattern: eventPattern(), Targets: &[]awsevents.IRuleTarget{target()},
	})
	awsevents.NewRule(stack, jsii.String("LocalRule"), &awsevents.RuleProps{
		Description:  jsii.String(deployment.EventList() + " of this account"),
		EventPattern: eventPattern(), Targets: &[]awsevents.IRuleTarget{target()},
	})

	all := alarms(stack, topic, map[deployment.Watched]*string{
		deployment.WatchFunction:           fn.FunctionName(),
		deployment.WatchDeadLetters:        dlq.QueueName(),
		deployment.WatchRecheckQueue:       recheck.QueueName(),
		deployment.WatchRecheckDeadLetters: recheckDLQ.QueueName(),
	})
	dashboard(stack, fn, logs, recheck, all)

	doctor := doctorPolicy(stack, orgID, map[string][]*string{
		"lambda:GetFunction":     {fn.FunctionArn()},
		"sqs:GetQueueAttributes": {dlq.QueueArn(), recheck.QueueArn(), recheckDLQ.QueueArn()},
		"sns:GetTopicAttributes": {topic.TopicArn()},
	})
	awscdk.NewCfnOutput(stack, jsii.String("DoctorPolicyArn"), &awscdk.CfnOutputProps{
		Value: doctor.ManagedPolicyArn(), Description: jsii.String("Attach to the auditor role, for ebsguard doctor (docs/doctor.md)"),
	})
	awscdk.NewCfnOutput(stack, jsii.String("DoctorCommand"), &awscdk.CfnOutputProps{
		Description: jsii.String("ebsguard doctor with this stack's resources; add --accounts all --regions all"),
		Value: awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("ebsguard doctor --function "), fn.FunctionName(), jsii.String(" --topic "), topic.TopicArn(),
			jsii.String(" --queues "), recheck.QueueUrl(), jsii.String(","), recheckDLQ.QueueUrl(), jsii.String(","), dlq.QueueUrl(),
			jsii.String(" --alarm-prefix "), stack.StackName(), jsii.String(" --bus "), bus.EventBusArn(),
		}),
	})
	awscdk.NewCfnOutput(stack, jsii.String("FunctionRoleArn"), &awscdk.CfnOutputProps{
		Value: role.RoleArn(), Description: jsii.String("Pass to the member stack as CentralFunctionRoleArn"),
	})
	awscdk.NewCfnOutput(stack, jsii.String("EventBusArn"), &awscdk.CfnOutputProps{
		Value: bus.EventBusArn(), Description: jsii.String("Pass to the member stack as CentralEventBusArn"),
	})
	awscdk.NewCfnOutput(stack, jsii.String("FindingsTopicArn"), &awscdk.CfnOutputProps{Value: topic.TopicArn()})
	awscdk.NewCfnOutput(stack, jsii.String("RecheckQueueUrl"), &awscdk.CfnOutputProps{Value: recheck.QueueUrl()})

	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		AppliesTo: &[]interface{}{"Resource::*", "Resource::arn:<AWS::Partition>:iam::*:role/" + deployment.ReaderRoleName},
		Reason: jsii.String("ec2:Describe*/GetEbs* and kms:DescribeKey support no resource-level permissions; " +
			"the reader role has the same name in every member account, so its ARN has the account as a wildcard, pinned by aws:ResourceOrgID"),
	}}, jsii.Bool(true))
	return stack
}
