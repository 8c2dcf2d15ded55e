package deployment

// What `ebsguard backfill` needs, granted to the auditor role (the role a
// security engineer runs the CLI as) by the ebsguard-backfill stack, in the
// account that holds the Athena workgroup and can read the trail's bucket.
// Beyond these, backfill evaluates through the reader role as audit does
// (sts:AssumeRole, README "Day one"); that grant is the member stack's.

// Backfill stack parameters.
var (
	BackfillAuditorRoleParameter = Parameter{
		Name:           "AuditorRoleName",
		Description:    "The role (in this account) that runs ebsguard backfill: the policy is attached to it",
		AllowedPattern: `^[\w+=,.@-]{1,64}$`,
	}
	BackfillWorkgroupParameter = Parameter{
		Name: "AthenaWorkgroup", Default: "primary",
		Description:    "The Athena workgroup backfill queries in (--workgroup)",
		AllowedPattern: `^[a-zA-Z0-9._-]{1,128}$`,
	}
	BackfillDatabaseParameter = Parameter{
		Name: "AthenaDatabase", Description: "The Glue database of the trail's table (--athena-table DATABASE.TABLE)",
		AllowedPattern: `^[a-z_][a-z0-9_]*$`,
	}
	BackfillTableParameter = Parameter{
		Name: "AthenaTable", Description: "The trail's table (--athena-table DATABASE.TABLE)",
		AllowedPattern: `^[a-z_][a-z0-9_]*$`,
	}
	BackfillTrailBucketParameter = Parameter{
		Name: "TrailBucket", Description: "The bucket the organization trail writes to",
		AllowedPattern: `^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`,
	}
	BackfillTrailPrefixParameter = Parameter{
		Name: "TrailPrefix", Description: "The trail's prefix in the bucket, up to AWSLogs/o-ORG/ (e.g. AWSLogs/o-a1b2c3d4e5/)",
		AllowedPattern: `^([\w.-]+/)*AWSLogs/(o-[a-z0-9]{10,32}/)?$`,
	}
	BackfillResultsBucketParameter = Parameter{
		Name: "ResultsBucket", Description: "The bucket of the query results (--output, or the workgroup's)",
		AllowedPattern: `^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`,
	}
	BackfillResultsPrefixParameter = Parameter{
		Name: "ResultsPrefix", Default: "ebsguard/", Description: "The prefix of the query results in ResultsBucket, ending in /",
		AllowedPattern: `^([\w.-]+/)+$`,
	}
)

// BackfillParameters are the stack's parameters, in order.
var BackfillParameters = []Parameter{
	BackfillAuditorRoleParameter, BackfillWorkgroupParameter, BackfillDatabaseParameter, BackfillTableParameter,
	BackfillTrailBucketParameter, BackfillTrailPrefixParameter, BackfillResultsBucketParameter, BackfillResultsPrefixParameter,
}

// Statement is one statement of an IAM policy; resources and condition
// values are Fn::Sub strings (${AWS::Partition}, the parameters).
type Statement struct {
	Sid       string
	Actions   []string
	Resources []string
	// Condition, when set, is {operator: {key: [values]}}.
	Condition map[string]map[string][]string
}

// BackfillStatements are the auditor role's grants, least privilege:
//   - Athena: the query's calls, on the named workgroup only;
//   - Glue: reading the catalog, the database and the trail's table only
//     (Athena reads the table's definition as the caller; with partition
//     projection it lists no partitions);
//   - S3, the trail: listing and reading below the trail's prefix only
//     (Athena scans as the caller; backfill reads the objects the query
//     names; --dry-run lists the partitions' prefixes);
//   - S3, the results: Athena writes and reads the query's results as the
//     caller, below the results prefix only.
//
// A trail encrypted with a KMS key needs kms:Decrypt on that key as well
// (docs/backfill.md); the key's policy is the place to grant it.
func BackfillStatements() []Statement {
	const (
		trail    = "arn:${AWS::Partition}:s3:::${TrailBucket}"
		results  = "arn:${AWS::Partition}:s3:::${ResultsBucket}"
		athenaWG = "arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:workgroup/${AthenaWorkgroup}"
		glueARN  = "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:"
	)
	return []Statement{
		{Sid: "AthenaQueryInWorkgroup", Actions: BackfillAthenaActions, Resources: []string{athenaWG}},
		{Sid: "GlueReadTrailTable", Actions: BackfillGlueActions, Resources: []string{
			glueARN + "catalog", glueARN + "database/${AthenaDatabase}", glueARN + "table/${AthenaDatabase}/${AthenaTable}"}},
		{Sid: "ListTrail", Actions: []string{"s3:ListBucket"}, Resources: []string{trail},
			Condition: map[string]map[string][]string{"StringLike": {"s3:prefix": {"${TrailPrefix}*"}}}},
		{Sid: "ReadTrail", Actions: []string{"s3:GetObject"}, Resources: []string{trail + "/${TrailPrefix}*"}},
		{Sid: "LocateBuckets", Actions: []string{"s3:GetBucketLocation"}, Resources: []string{trail, results}},
		{Sid: "ListResults", Actions: []string{"s3:ListBucket"}, Resources: []string{results},
			Condition: map[string]map[string][]string{"StringLike": {"s3:prefix": {"${ResultsPrefix}*"}}}},
		{Sid: "WriteResults", Actions: BackfillResultsActions, Resources: []string{results + "/${ResultsPrefix}*"}},
	}
}

// BackfillAthenaActions are the calls of one backfill query, and the DDL
// of --create-table --apply.
var BackfillAthenaActions = []string{
	"athena:GetQueryExecution",
	"athena:GetQueryResults",
	"athena:StartQueryExecution",
	"athena:StopQueryExecution",
}

// BackfillGlueActions read the table (Athena; backfill's GetTable, for
// --dry-run's estimate and the projection's accounts and Regions).
var BackfillGlueActions = []string{"glue:GetDatabase", "glue:GetTable"}

// BackfillResultsActions let Athena write the results and read them back.
var BackfillResultsActions = []string{
	"s3:AbortMultipartUpload",
	"s3:GetObject",
	"s3:ListMultipartUploadParts",
	"s3:PutObject",
}
