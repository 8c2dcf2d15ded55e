package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/jsii-runtime-go"
	"github.com/ebsguard/ebsguard/internal/deployment"
)

// DashboardName is the central stack's dashboard.
const DashboardName = "ebsguard"

// The dashboard's widgets, from the metrics the function already emits
// (its EMF log lines, lambda/handler/logging.go), the queues' and the
// function's own metrics, and its log lines; no new metric, no new
// permission. The queries are deployment values so that a test reads them.
const (
	// SearchFindingsByCode graphs every finding code the function met.
	SearchFindingsByCode = `SEARCH('{` + deployment.MetricsNamespace + `,code} MetricName="Findings"', 'Sum', 3600)`
	// SearchVerdictsByStatus graphs the verdicts by status.
	SearchVerdictsByStatus = `SEARCH('{` + deployment.MetricsNamespace + `,` + deployment.DimensionStatus + `} MetricName="` + deployment.MetricVerdicts + `"', 'Sum', 300)`
	// SearchLookupErrors graphs the failed lookups by AWS error code.
	SearchLookupErrors = `SEARCH('{` + deployment.MetricsNamespace + `,errorCode} MetricName="LookupErrors"', 'Sum', 300)`
	// The function's log lines are JSON with the message under "message"
	// (lambdacontext.ReplaceAttr renames slog's "msg").

	// TopAccountsQuery is the ten accounts with the most findings: the
	// metrics have no account dimension (one per account would cost a
	// metric each), the "evaluated" log line has the account.
	TopAccountsQuery = `filter message = "evaluated" and status = "violation"
| stats sum(findings) as findingCount by account
| sort findingCount desc
| limit 10`
	// NotEvaluatedQuery lists the operational notices by reason.
	NotEvaluatedQuery = `filter message like /not evaluated/
| stats count() as notices by reason, class
| sort notices desc
| limit 20`
)

// dashboard is the central stack's CloudWatch dashboard: findings by code
// and by account, verdicts by status, re-check age, errors, AWS calls per
// event, and the alarms.
func dashboard(stack awscdk.Stack, fn awslambda.IFunction, logs awslogs.ILogGroup, recheck awssqs.IQueue, alarms []awscloudwatch.Alarm) awscloudwatch.Dashboard {
	hour := awscdk.Duration_Hours(jsii.Number(1))
	five := awscdk.Duration_Minutes(jsii.Number(5))
	search := func(expr, label string, period awscdk.Duration) awscloudwatch.IMetric {
		return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String(expr), Label: jsii.String(label), Period: period, UsingMetrics: &map[string]awscloudwatch.IMetric{},
		})
	}
	metric := func(name, stat string, period awscdk.Duration) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(deployment.MetricsNamespace), MetricName: jsii.String(name), Statistic: jsii.String(stat), Period: period,
		})
	}
	graph := func(title string, width float64, left ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Width: jsii.Number(width), Height: jsii.Number(6), Left: &left})
	}
	refs := make([]interfacesawscloudwatch.IAlarmRef, len(alarms))
	for i, a := range alarms {
		refs[i] = a
	}
	d := awscloudwatch.NewDashboard(stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName:   jsii.String(DashboardName),
		DefaultInterval: awscdk.Duration_Days(jsii.Number(7)),
	})
	d.AddWidgets(
		awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
			Title: jsii.String("Alarms"), Alarms: &refs, Width: jsii.Number(24), Height: jsii.Number(3),
		}),
	)
	d.AddWidgets(
		graph("Findings by code (per hour)", 12, search(SearchFindingsByCode, "", hour)),
		awscloudwatch.NewLogQueryWidget(&awscloudwatch.LogQueryWidgetProps{
			Title: jsii.String("Top 10 accounts by findings"), LogGroupNames: jsii.Strings(*logs.LogGroupName()),
			QueryString: jsii.String(TopAccountsQuery), View: awscloudwatch.LogQueryVisualizationType_BAR,
			Width: jsii.Number(12), Height: jsii.Number(6),
		}),
	)
	d.AddWidgets(
		graph("Verdicts by status", 12, search(SearchVerdictsByStatus, "", five)),
		graph("Re-check age (seconds)", 12,
			metric(deployment.MetricRecheckAge, "Maximum", five),
			recheck.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: five})),
	)
	d.AddWidgets(
		graph("Errors: lookups by AWS error code, failed invocations", 12,
			search(SearchLookupErrors, "", five),
			fn.MetricErrors(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: five})),
		graph("AWS calls per event", 12, metric("AWSCalls", "Average", five), metric("AWSCalls", "Maximum", five)),
	)
	d.AddWidgets(
		awscloudwatch.NewLogQueryWidget(&awscloudwatch.LogQueryWidgetProps{
			Title: jsii.String("Operational notices by reason"), LogGroupNames: jsii.Strings(*logs.LogGroupName()),
			QueryString: jsii.String(NotEvaluatedQuery), View: awscloudwatch.LogQueryVisualizationType_TABLE,
			Width: jsii.Number(24), Height: jsii.Number(6),
		}),
	)
	return d
}
