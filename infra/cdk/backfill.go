package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
	"github.com/ebsguard/ebsguard/internal/deployment"
)

// NewBackfillStack is the optional stack for `ebsguard backfill`, deployed in
// the account whose Athena queries the organization trail (where the
// auditor role lives): one managed policy, attached to the auditor role,
// granting exactly deployment.BackfillStatements. It creates no role, no
// table and no bucket.
func NewBackfillStack(scope constructs.Construct, id string, props *awscdk.StackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), props)
	params := map[string]awscdk.CfnParameter{}
	for _, p := range deployment.BackfillParameters {
		params[p.Name] = parameter(stack, p)
	}
	var statements []awsiam.PolicyStatement
	for _, s := range deployment.BackfillStatements() {
		resources := make([]*string, len(s.Resources))
		for i, r := range s.Resources {
			resources[i] = awscdk.Fn_Sub(jsii.String(r), nil)
		}
		props := &awsiam.PolicyStatementProps{Sid: jsii.String(s.Sid), Actions: jsii.Strings(s.Actions...), Resources: &resources}
		if s.Condition != nil {
			cond := map[string]interface{}{}
			for op, kv := range s.Condition {
				m := map[string]interface{}{}
				for k, vals := range kv {
					subs := make([]interface{}, len(vals))
					for i, v := range vals {
						subs[i] = awscdk.Fn_Sub(jsii.String(v), nil)
					}
					m[k] = subs
				}
				cond[op] = m
			}
			props.Conditions = &cond
		}
		statements = append(statements, awsiam.NewPolicyStatement(props))
	}
	auditor := awsiam.Role_FromRoleName(stack, jsii.String("Auditor"), params[deployment.BackfillAuditorRoleParameter.Name].ValueAsString(), nil)
	policy := awsiam.NewManagedPolicy(stack, jsii.String("BackfillPolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("ebsguard backfill: Athena on one workgroup, Glue read on the trail's table, S3 read on the trail's prefix and write on the results prefix"),
		Roles:       &[]awsiam.IRole{auditor},
		Statements:  &statements,
	})
	cdknag.NagSuppressions_AddResourceSuppressions(policy, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("S3 objects are granted below the trail's prefix and the results prefix only (the keys are CloudTrail's and Athena's); " +
			"every other resource is named"),
	}}, jsii.Bool(true))
	awscdk.NewCfnOutput(stack, jsii.String("BackfillPolicyArn"), &awscdk.CfnOutputProps{Value: policy.ManagedPolicyArn()})
	return stack
}
