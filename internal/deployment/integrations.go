package deployment

// EventBridge finding events (lambda/findingevents): the function puts one
// event per published verdict on a bus, for rules to route.
const (
	// EnvEventBus names the bus (name or ARN) the function puts finding
	// events and operational notices on; unset, it puts none.
	EnvEventBus = "EVENT_BUS_NAME"
	// SAMEventBus is the bus of the single-account deployment: the
	// account's default bus, where its own rules match.
	SAMEventBus = "default"
)

// FindingEventActions let the function put events, on that bus only.
var FindingEventActions = []string{"events:PutEvents"}

// EventBusARN is the ARN of a bus; the arguments may be CloudFormation pseudo
// parameters, for Fn::Sub.
func EventBusARN(partition, region, account, bus string) string {
	return "arn:" + partition + ":events:" + region + ":" + account + ":event-bus/" + bus
}

// SAMEventBusARNSub is the default bus's ARN as template.yaml writes it, in Fn::Sub.
var SAMEventBusARNSub = EventBusARN("${AWS::Partition}", "${AWS::Region}", "${AWS::AccountId}", SAMEventBus)
