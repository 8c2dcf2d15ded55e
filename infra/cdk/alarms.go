package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
	"github.com/ebsguard/ebsguard/internal/deployment"
)

// alarms creates deployment.Alarms, each notifying the findings topic;
// watched gives the name of each watched resource. It returns them, for
// the dashboard.
func alarms(stack awscdk.Stack, topic awssns.ITopic, watched map[deployment.Watched]*string) []awscloudwatch.Alarm {
	var out []awscloudwatch.Alarm
	for _, a := range deployment.Alarms {
		value := jsii.String(a.DimensionValue)
		if a.DimensionValue == "" {
			value = watched[a.Of]
			if value == nil {
				panic("alarm " + a.ID + ": no resource for " + string(a.Of))
			}
		}
		metric := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(a.Namespace), MetricName: jsii.String(a.Metric),
			DimensionsMap: &map[string]*string{a.Dimension: value},
			Statistic:     jsii.String(a.Statistic), Period: awscdk.Duration_Seconds(jsii.Number(a.PeriodSec)),
		})
		alarm := awscloudwatch.NewAlarm(stack, jsii.String(a.ID), &awscloudwatch.AlarmProps{
			AlarmDescription: jsii.String(a.Description), Metric: metric,
			Threshold: jsii.Number(a.Threshold), EvaluationPeriods: jsii.Number(deployment.AlarmEvaluationPeriods),
			// deployment.AlarmComparison and AlarmMissingData, in CDK's enums.
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		alarm.AddAlarmAction(awscloudwatchactions.NewSnsAction(topic))
		out = append(out, alarm)
	}
	return out
}
