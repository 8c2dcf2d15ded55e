package localrun

import (
	"net/url"
)

// SubscribeHTTP subscribes an http endpoint to the topic, standing for the
// chat service's https subscription, and returns what unsubscribes it
// (goaws keeps subscriptions across runs in one process). goaws delivers to
// it at once, without a confirmation, and posts the whole published
// message: with MessageStructure json, the structure, whose "https" member
// SNS would deliver.
func (s *SNS) SubscribeHTTP(endpoint string) (unsubscribe func() error, err error) {
	var sub struct {
		ARN string `xml:"SubscribeResult>SubscriptionArn"`
	}
	if err := s.call(url.Values{"Action": {"Subscribe"}, "TopicArn": {s.TopicARN}, "Protocol": {"http"}, "Endpoint": {endpoint}}, &sub); err != nil {
		return nil, err
	}
	return func() error {
		return s.call(url.Values{"Action": {"Unsubscribe"}, "SubscriptionArn": {sub.ARN}}, nil)
	}, nil
}
