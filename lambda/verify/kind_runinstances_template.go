package verify

// RunInstances' own lookup: the launch template version a launch names.

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// templateVersion is one launch template version's data and number.
type templateVersion struct {
	Number int64
	Data   *ec2types.ResponseLaunchTemplateData
}

// a numbered version never changes; $Latest and $Default do.
func (v templateVersion) cacheable() bool { return true }

// launchTemplate returns one version of a launch template, named by ID or
// name, and by number, "$Latest" or "$Default".
func (s *session) launchTemplate(region, id, name, version string) (templateVersion, error) {
	what := id
	if id == "" {
		what = name
	}
	c := perEvent
	if _, err := fmt.Sscan(version, new(int64)); err == nil && id != "" {
		c = immutable
	}
	return remember(s, "template/"+s.account+"/"+region+"/"+what+"/"+version, c, func() (templateVersion, error) {
		api, err := s.ec2(region)
		if err != nil {
			return templateVersion{}, err
		}
		in := &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{version}}
		if id != "" {
			in.LaunchTemplateId = aws.String(id)
		} else {
			in.LaunchTemplateName = aws.String(name)
		}
		p := ec2.NewDescribeLaunchTemplateVersionsPaginator(api, in)
		for p.HasMorePages() {
			page, err := p.NextPage(s.ctx)
			if err != nil {
				return templateVersion{}, fmt.Errorf("describe launch template %s version %s in %s: %w", what, version, region, err)
			}
			for _, v := range page.LaunchTemplateVersions {
				if v.LaunchTemplateData != nil {
					return templateVersion{Number: aws.ToInt64(v.VersionNumber), Data: v.LaunchTemplateData}, nil
				}
			}
		}
		return templateVersion{}, fmt.Errorf("launch template %s version %s in %s: %w", what, version, region, ErrNotFound)
	})
}
