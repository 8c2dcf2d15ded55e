package verify

// The volume lookups every kind makes through the same calls: a volume by
// ID, and the volumes attached to instances.

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// attachedVolumes returns the volumes attached to the instances, by instance
// ID and device name, in as few calls as the filter's limit allows.
func (s *session) attachedVolumes(region string, instanceIDs []string) (map[string]map[string]ec2types.Volume, error) {
	return remember(s, "attached/"+region+"/"+fmt.Sprint(instanceIDs), perEvent, func() (map[string]map[string]ec2types.Volume, error) {
		c, err := s.ec2(region)
		if err != nil {
			return nil, err
		}
		out := map[string]map[string]ec2types.Volume{}
		for _, chunk := range chunks(instanceIDs, maxFilterValues) {
			p := ec2.NewDescribeVolumesPaginator(c, &ec2.DescribeVolumesInput{
				Filters: []ec2types.Filter{{Name: aws.String("attachment.instance-id"), Values: chunk}},
			})
			for p.HasMorePages() {
				page, err := p.NextPage(s.ctx)
				if err != nil {
					return nil, fmt.Errorf("describe volumes of %d instances (%s…) in %s: %w", len(chunk), chunk[0], region, err)
				}
				for _, vol := range page.Volumes {
					for _, a := range vol.Attachments {
						id := aws.ToString(a.InstanceId)
						if out[id] == nil {
							out[id] = map[string]ec2types.Volume{}
						}
						out[id][aws.ToString(a.Device)] = vol
					}
				}
			}
		}
		return out, nil
	})
}

// volume describes one volume; a volume not listed (yet) is ErrNotFound.
func (s *session) volume(region, id string) (ec2types.Volume, error) {
	return remember(s, "volume/"+region+"/"+id, perEvent, func() (ec2types.Volume, error) {
		c, err := s.ec2(region)
		if err != nil {
			return ec2types.Volume{}, err
		}
		out, err := c.DescribeVolumes(s.ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{id}})
		if err != nil && !isNotFound(err) {
			return ec2types.Volume{}, fmt.Errorf("describe volume %s in %s: %w", id, region, err)
		}
		if out != nil {
			for _, v := range out.Volumes {
				if aws.ToString(v.VolumeId) == id {
					return v, nil
				}
			}
		}
		return ec2types.Volume{}, fmt.Errorf("volume %s in %s: %w", id, region, ErrNotFound)
	})
}
