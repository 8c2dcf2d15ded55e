// Command cdk is the ebsguard CDK app: a central stack for the security
// account and a member stack for every account and Region (StackSet).
//
//	npx cdk synth        # writes cdk.out/ebsguard-central.template.json and ebsguard-member.template.json
//	npx cdk deploy ebsguard-central --parameters OrganizationId=o-...
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// newApp builds both stacks with cdk-nag's AWS Solutions checks applied.
func newApp(app awscdk.App, assetDir string) (central, member awscdk.Stack) {
	central = NewCentralStack(app, "ebsguard-central", &CentralProps{AssetDir: assetDir})
	member = NewMemberStack(app, "ebsguard-member", &awscdk.StackProps{
		// A StackSet deploys the template as it is: no bootstrap, no assets.
		Synthesizer: awscdk.NewBootstraplessSynthesizer(&awscdk.BootstraplessSynthesizerProps{}),
	})
	// Optional, for `ebsguard backfill`: deployed where Athena queries the trail.
	NewBackfillStack(app, "ebsguard-backfill", &awscdk.StackProps{
		Synthesizer: awscdk.NewBootstraplessSynthesizer(&awscdk.BootstraplessSynthesizerProps{}),
	})
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return central, member
}

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	assetDir, ok := app.Node().TryGetContext(jsii.String("assetDir")).(string)
	if !ok || assetDir == "" {
		assetDir = "../../.build/lambda"
	}
	newApp(app, assetDir)
	app.Synth(nil)
}
