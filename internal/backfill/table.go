// Package backfill finds the past calls ebsguard evaluates in an
// organization's CloudTrail trail through Amazon Athena: one query, whose
// partition predicates bound what Athena scans, names the event IDs and the
// S3 objects holding them; only those objects are then read, and only those
// records evaluated. It also writes the trail's table (partition projection)
// for a user who has none.
//
// The package holds no engine of its own: internal/localathena runs the same
// query on DuckDB over local files for the tests and `make backfill-local`.
package backfill

import (
	"fmt"
	"regexp"
	"strings"
)

// Table names an Athena table as DATABASE.TABLE.
type Table struct{ Database, Name string }

var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// ParseTable reads DATABASE.TABLE (Athena lowercases names; only letters,
// digits and underscores are accepted, so a name can never break the query).
func ParseTable(s string) (Table, error) {
	db, name, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), ".")
	if !ok || !identifier.MatchString(db) || !identifier.MatchString(name) {
		return Table{}, fmt.Errorf("%q is not DATABASE.TABLE (letters, digits and underscores)", s)
	}
	return Table{Database: db, Name: name}, nil
}

func (t Table) String() string { return t.Database + "." + t.Name }

// Partition columns of the table --create-table writes, which the query's
// predicates name. An organization trail's key is
// AWSLogs/o-ORG/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/file.json.gz; a
// single-account trail's has no o-ORG.
const (
	PartitionAccount = "account"
	PartitionRegion  = "region"
	PartitionDate    = "timestamp" // yyyy/MM/dd, the folders' date (UTC)
)

// Column is a column of the CloudTrail table: its name in Athena (the
// record's field name lowercased), its Hive type, and the record's JSON
// field. Complex is set for the nested types, which the local engine keeps
// as JSON text.
type Column struct {
	Name, Type, Field string
	Complex           bool
}

// Columns are the record's fields as AWS's CloudTrail table lists them
// (Athena User Guide, "Create the table for CloudTrail logs in Athena using
// partition projection"), in its order; requestparameters, responseelements,
// additionaleventdata and serviceeventdetails are JSON text.
var Columns = []Column{
	{"eventversion", "STRING", "eventVersion", false},
	{"useridentity", `STRUCT<
        type: STRING,
        principalid: STRING,
        arn: STRING,
        accountid: STRING,
        invokedby: STRING,
        accesskeyid: STRING,
        username: STRING,
        onbehalfof: STRUCT<
            userid: STRING,
            identitystorearn: STRING>,
        sessioncontext: STRUCT<
            attributes: STRUCT<
                mfaauthenticated: STRING,
                creationdate: STRING>,
            sessionissuer: STRUCT<
                type: STRING,
                principalid: STRING,
                arn: STRING,
                accountid: STRING,
                username: STRING>,
            ec2roledelivery: STRING,
            webidfederationdata: STRUCT<
                federatedprovider: STRING,
                attributes: MAP<STRING,STRING>>>>`, "userIdentity", true},
	{"eventtime", "STRING", "eventTime", false},
	{"eventsource", "STRING", "eventSource", false},
	{"eventname", "STRING", "eventName", false},
	{"awsregion", "STRING", "awsRegion", false},
	{"sourceipaddress", "STRING", "sourceIPAddress", false},
	{"useragent", "STRING", "userAgent", false},
	{"errorcode", "STRING", "errorCode", false},
	{"errormessage", "STRING", "errorMessage", false},
	{"requestparameters", "STRING", "requestParameters", true},
	{"responseelements", "STRING", "responseElements", true},
	{"additionaleventdata", "STRING", "additionalEventData", true},
	{"requestid", "STRING", "requestID", false},
	{"eventid", "STRING", "eventID", false},
	{"readonly", "STRING", "readOnly", false},
	{"resources", `ARRAY<STRUCT<
        arn: STRING,
        accountid: STRING,
        type: STRING>>`, "resources", true},
	{"eventtype", "STRING", "eventType", false},
	{"apiversion", "STRING", "apiVersion", false},
	{"recipientaccountid", "STRING", "recipientAccountId", false},
	{"serviceeventdetails", "STRING", "serviceEventDetails", true},
	{"sharedeventid", "STRING", "sharedEventID", false},
	{"vpcendpointid", "STRING", "vpcEndpointId", false},
	{"eventcategory", "STRING", "eventCategory", false},
	{"tlsdetails", `STRUCT<
        tlsversion: STRING,
        ciphersuite: STRING,
        clientprovidedhostheader: STRING>`, "tlsDetails", true},
}

// Location is where a trail's logs are: s3://BUCKET/[PREFIX/]AWSLogs/[o-ORG/].
type Location struct {
	Bucket string
	Prefix string // up to and including "AWSLogs/" and "o-ORG/", if any
	Org    string // o-..., "" for a single-account trail
}

var (
	orgID = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	// bucketName is S3's rule for a general purpose bucket's name.
	bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	// safeKey is S3's safe characters for object keys, less the quote: the
	// location is written into the DDL's string literals, so a quote (or a
	// template's ${) must never reach it.
	safeKey = regexp.MustCompile(`^[A-Za-z0-9/!_.*()-]*$`)
)

// ParseLocation reads s3://bucket/[prefix/]AWSLogs/[o-org/].
func ParseLocation(s string) (Location, error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return Location{}, fmt.Errorf("%q is no s3:// URL", s)
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return Location{}, fmt.Errorf("%q names no bucket", s)
	}
	if !bucketName.MatchString(bucket) {
		return Location{}, fmt.Errorf("%q: %q is not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)", s, bucket)
	}
	if !safeKey.MatchString(key) {
		return Location{}, fmt.Errorf("%q: the prefix may hold only letters, digits and / ! - _ . * ( )", s)
	}
	key = strings.TrimSuffix(key, "/")
	parts := strings.Split(key, "/")
	l := Location{Bucket: bucket}
	last := parts[len(parts)-1]
	switch {
	case orgID.MatchString(last) && len(parts) >= 2 && parts[len(parts)-2] == "AWSLogs":
		l.Org = last
	case last == "AWSLogs":
	default:
		return Location{}, fmt.Errorf("%q does not end in AWSLogs/ or AWSLogs/o-ORGID/, where CloudTrail writes", s)
	}
	l.Prefix = key + "/"
	return l, nil
}

// URL is the location as s3://bucket/prefix.
func (l Location) URL() string { return "s3://" + l.Bucket + "/" + l.Prefix }

// Template is the storage.location.template of the projected table.
func (l Location) Template() string {
	return l.URL() + "${" + PartitionAccount + "}/CloudTrail/${" + PartitionRegion + "}/${" + PartitionDate + "}"
}

// DDLOptions are what the table's projection enumerates.
type DDLOptions struct {
	Accounts []string // the trail's accounts (projection enum); at least one
	Regions  []string // the trail's Regions (projection enum); at least one
	Start    string   // first day of the projection, yyyy/MM/dd
}

// DDL is the CREATE EXTERNAL TABLE statement of the trail's table, with
// partition projection on account, Region and date as AWS documents it for
// CloudTrail (the serde and input format AWS gives, projection of type date
// on the day folders, enums for accounts and Regions).
func DDL(t Table, l Location, o DDLOptions) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE EXTERNAL TABLE %s.%s (\n", t.Database, t.Name)
	for i, c := range Columns {
		sep := ","
		if i == len(Columns)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "    %s %s%s\n", c.Name, c.Type, sep)
	}
	fmt.Fprintf(&b, ")\nPARTITIONED BY (%s STRING, %s STRING, `%s` STRING)\n", PartitionAccount, PartitionRegion, PartitionDate)
	b.WriteString("ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n")
	b.WriteString("STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n")
	b.WriteString("OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n")
	fmt.Fprintf(&b, "LOCATION '%s'\n", l.URL())
	b.WriteString("TBLPROPERTIES (\n")
	props := [][2]string{
		{"projection.enabled", "true"},
		{"projection." + PartitionAccount + ".type", "enum"},
		{"projection." + PartitionAccount + ".values", strings.Join(o.Accounts, ",")},
		{"projection." + PartitionRegion + ".type", "enum"},
		{"projection." + PartitionRegion + ".values", strings.Join(o.Regions, ",")},
		{"projection." + PartitionDate + ".type", "date"},
		{"projection." + PartitionDate + ".format", "yyyy/MM/dd"},
		{"projection." + PartitionDate + ".interval", "1"},
		{"projection." + PartitionDate + ".interval.unit", "DAYS"},
		{"projection." + PartitionDate + ".range", o.Start + ",NOW"},
		{"storage.location.template", l.Template()},
	}
	for i, p := range props {
		sep := ","
		if i == len(props)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "    '%s'='%s'%s\n", p[0], p[1], sep)
	}
	b.WriteString(")")
	return b.String()
}
