// Package localathena serves, on a loopback port, what `ebsguard backfill`
// calls: Amazon Athena (StartQueryExecution, GetQueryExecution,
// GetQueryResults, StopQueryExecution) and the Glue Data Catalog's GetTable
// over the JSON 1.1 protocol, and S3 with a real S3 implementation
// (gofakes3, in memory) holding a CloudTrail trail laid out as CloudTrail
// lays it out: AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/*.json.gz.
// Athena's queries are executed by DuckDB over the same files, exposed with
// the Athena CloudTrail table's columns and partitions (engine.go).
//
// The real SDK v2 clients reach it through AWS_ENDPOINT_URL_ATHENA, _GLUE
// and _S3 (S3 with path-style addressing). It is for tests, `make
// backfill-local` and the bench only: DuckDB and gofakes3 never reach the
// Lambda's build (a test of this package holds ./lambda/handler to that).
package localathena

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ebsguard/ebsguard/internal/backfill"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Config is what the server holds.
type Config struct {
	// Root is the local folder of the trail's bucket: its files are the
	// bucket's objects, by their path below Root.
	Root   string
	Bucket string
	// Workgroups maps each workgroup to its output location ("" for none);
	// "primary", with none, is always there.
	Workgroups map[string]string
	// Buckets are created empty besides the trail's (e.g. for query results).
	Buckets []string
	// MinRunTime keeps each query RUNNING at least this long, so that a
	// client's progress is seen (the local engine is much faster than Athena).
	MinRunTime time.Duration
}

// Server is the local Athena, Glue and S3.
type Server struct {
	cfg     Config
	eng     *engine
	parts   []partition
	backend *s3mem.Backend
	s3      http.Handler

	mu      sync.Mutex
	queries map[string]*query
	tables  map[string]tableDef
	seq     int

	s3Gets, s3Bytes atomic.Int64
	minRunTime      atomic.Int64 // Config.MinRunTime, changed by SetMinRunTime

	srv *http.Server
	url string
}

type tableDef struct {
	table    backfill.Table
	location backfill.Location
	accounts []string
	regions  []string
}

// query is one query execution.
type query struct {
	id, sql, database, workgroup, output string
	submitted, completed                 time.Time
	state, reason                        string
	scanned                              atomic.Int64
	res                                  result
	cancel                               context.CancelFunc
}

// New loads the trail under cfg.Root into the local S3 and opens DuckDB.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Bucket == "" {
		return nil, fmt.Errorf("localathena: no bucket")
	}
	if cfg.Workgroups == nil {
		cfg.Workgroups = map[string]string{}
	}
	if _, ok := cfg.Workgroups["primary"]; !ok {
		cfg.Workgroups["primary"] = ""
	}
	s := &Server{cfg: cfg, queries: map[string]*query{}, tables: map[string]tableDef{}}
	s.minRunTime.Store(int64(cfg.MinRunTime))
	s.backend = s3mem.New()
	s.s3 = gofakes3.New(s.backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	for _, b := range append([]string{cfg.Bucket}, cfg.Buckets...) {
		if err := s.backend.CreateBucket(b); err != nil {
			return nil, fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	var err error
	if s.parts, err = scan(cfg.Root); err != nil {
		return nil, err
	}
	for _, p := range s.parts {
		for _, f := range p.files {
			if err := s.putFile(f); err != nil {
				return nil, err
			}
		}
	}
	if s.eng, err = newEngine(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) putFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	rel, _ := filepath.Rel(s.cfg.Root, path)
	if _, err := s.backend.PutObject(s.cfg.Bucket, filepath.ToSlash(rel), map[string]string{}, bytes.NewReader(b), int64(len(b)), nil); err != nil {
		return fmt.Errorf("put %s: %w", rel, err)
	}
	return nil
}

// AddTable defines the trail's table at a location of the bucket
// (s3://BUCKET/AWSLogs/[o-ORG/]), as --create-table would: its partitions are
// the accounts, Regions and days found there.
func (s *Server) AddTable(ctx context.Context, t backfill.Table, location string) error {
	loc, err := backfill.ParseLocation(location)
	if err != nil {
		return err
	}
	if loc.Bucket != s.cfg.Bucket {
		return fmt.Errorf("table %s: bucket %s is not the trail's (%s)", t, loc.Bucket, s.cfg.Bucket)
	}
	var parts []partition
	accounts, regions := map[string]bool{}, map[string]bool{}
	def := tableDef{table: t, location: loc}
	for _, p := range s.parts {
		if !strings.HasPrefix(p.files[0], filepath.Join(s.cfg.Root, filepath.FromSlash(loc.Prefix))) {
			continue
		}
		parts = append(parts, p)
		if !accounts[p.account] {
			accounts[p.account] = true
			def.accounts = append(def.accounts, p.account)
		}
		if !regions[p.region] {
			regions[p.region] = true
			def.regions = append(def.regions, p.region)
		}
	}
	if err := s.eng.createTable(ctx, t, s.cfg.Root, s.cfg.Bucket, parts); err != nil {
		return err
	}
	s.mu.Lock()
	s.tables[t.String()] = def
	s.mu.Unlock()
	return nil
}

// Start listens on 127.0.0.1 at a free port (or addr, a loopback address).
func (s *Server) Start(addr string) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("localathena listens on loopback only, not %q", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	s.url = "http://" + l.Addr().String()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(l)
	return nil
}

// URL is the endpoint for AWS_ENDPOINT_URL_ATHENA, _GLUE and _S3.
func (s *Server) URL() string { return s.url }

// Close stops the server and DuckDB.
func (s *Server) Close() error {
	s.mu.Lock()
	for _, q := range s.queries {
		if q.cancel != nil {
			q.cancel()
		}
	}
	s.mu.Unlock()
	var err error
	if s.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		err = s.srv.Shutdown(ctx)
	}
	s.eng.close()
	return err
}

// S3Reads says how many objects were read (GetObject) and how many bytes
// their bodies carried.
func (s *Server) S3Reads() (objects, bytes int64) { return s.s3Gets.Load(), s.s3Bytes.Load() }

// TrailBytes is the size of every log file of the trail: what reading the
// whole prefix downloads.
func (s *Server) TrailBytes() (files, bytes int64) {
	for _, p := range s.parts {
		files += int64(len(p.files))
		bytes += p.bytes
	}
	return files, bytes
}

// ServeHTTP routes Athena and Glue by their X-Amz-Target, the rest to S3.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, "AmazonAthena."):
		s.serveAthena(w, r, strings.TrimPrefix(target, "AmazonAthena."))
	case strings.HasPrefix(target, "AWSGlue."):
		s.serveGlue(w, r, strings.TrimPrefix(target, "AWSGlue."))
	default:
		if q := r.URL.Query(); r.Method == http.MethodGet && strings.Count(strings.Trim(r.URL.Path, "/"), "/") >= 1 && !q.Has("list-type") && !q.Has("uploads") && !q.Has("versions") {
			s.s3Gets.Add(1)
			w = &countingWriter{ResponseWriter: w, n: &s.s3Bytes}
		}
		s.s3.ServeHTTP(w, r)
	}
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n.Add(int64(n))
	return n, err
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(v)
}

func jsonError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

func invalid(w http.ResponseWriter, msg string) {
	jsonError(w, http.StatusBadRequest, "InvalidRequestException", msg)
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func (s *Server) serveAthena(w http.ResponseWriter, r *http.Request, op string) {
	var body struct {
		QueryString           string
		QueryExecutionID      string `json:"QueryExecutionId"`
		QueryExecutionContext struct{ Database, Catalog string }
		ResultConfiguration   struct{ OutputLocation string }
		WorkGroup             string
		NextToken             string
		MaxResults            *int
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		jsonError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	switch op {
	case "StartQueryExecution":
		wg := body.WorkGroup
		if wg == "" {
			wg = "primary"
		}
		out, ok := s.cfg.Workgroups[wg]
		if !ok {
			invalid(w, fmt.Sprintf("WorkGroup %s is not found.", wg))
			return
		}
		if body.ResultConfiguration.OutputLocation != "" {
			out = body.ResultConfiguration.OutputLocation
		}
		if out == "" {
			invalid(w, "No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.")
			return
		}
		if strings.TrimSpace(body.QueryString) == "" {
			invalid(w, "QueryString is required")
			return
		}
		q := s.start(body.QueryString, body.QueryExecutionContext.Database, wg, out)
		writeJSON(w, map[string]string{"QueryExecutionId": q.id})
	case "GetQueryExecution":
		q := s.query(body.QueryExecutionID)
		if q == nil {
			invalid(w, "QueryExecution "+body.QueryExecutionID+" was not found")
			return
		}
		writeJSON(w, map[string]any{"QueryExecution": s.describe(q)})
	case "GetQueryResults":
		q := s.query(body.QueryExecutionID)
		if q == nil {
			invalid(w, "QueryExecution "+body.QueryExecutionID+" was not found")
			return
		}
		s.serveResults(w, q, body.NextToken, body.MaxResults)
	case "StopQueryExecution":
		q := s.query(body.QueryExecutionID)
		if q == nil {
			invalid(w, "QueryExecution "+body.QueryExecutionID+" was not found")
			return
		}
		s.mu.Lock()
		if q.state == "QUEUED" || q.state == "RUNNING" {
			q.cancel()
		}
		s.mu.Unlock()
		writeJSON(w, map[string]any{})
	default:
		jsonError(w, http.StatusBadRequest, "UnknownOperationException", "localathena answers StartQueryExecution, GetQueryExecution, GetQueryResults and StopQueryExecution")
	}
}

func (s *Server) query(id string) *query {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[id]
}

var createTable = regexp.MustCompile(`(?is)^\s*CREATE\s+EXTERNAL\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([a-z0-9_]+)\.([a-z0-9_]+)\b.*\bLOCATION\s+'([^']+)'`)

// start runs a query in the background. A CREATE EXTERNAL TABLE (as
// `ebsguard backfill --create-table --apply` sends it) defines the table over
// the trail at its LOCATION; anything else is run by DuckDB.
func (s *Server) start(sql, database, workgroup, output string) *query {
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	s.seq++
	q := &query{id: fmt.Sprintf("00000000-0000-4000-8000-%012d", s.seq), sql: sql, database: database, workgroup: workgroup,
		output: strings.TrimSuffix(output, "/") + "/", submitted: time.Now(), state: "RUNNING", cancel: cancel}
	s.queries[q.id] = q
	s.mu.Unlock()
	go func() {
		defer cancel()
		var res result
		var err error
		if m := createTable.FindStringSubmatch(sql); m != nil {
			err = s.AddTable(ctx, backfill.Table{Database: strings.ToLower(m[1]), Name: strings.ToLower(m[2])}, m[3])
		} else {
			res, err = s.eng.run(ctx, database, sql, func(n int64) { q.scanned.Add(n) })
		}
		if err == nil {
			err = s.writeResult(q, res)
		}
		if wait := time.Duration(s.minRunTime.Load()) - time.Since(q.submitted); wait > 0 && err == nil {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		q.completed = time.Now()
		switch {
		case ctx.Err() != nil:
			q.state, q.reason = "CANCELLED", "Query cancelled by user"
		case err != nil:
			q.state, q.reason = "FAILED", err.Error()
		default:
			q.state, q.res = "SUCCEEDED", res
			q.scanned.Store(res.scanned)
		}
	}()
	return q
}

// writeResult writes the result as Athena does, a CSV at OUTPUT/ID.csv.
func (s *Server) writeResult(q *query, res result) error {
	rest, _ := strings.CutPrefix(q.output, "s3://")
	bucket, prefix, _ := strings.Cut(rest, "/")
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.Write(res.columns)
	for _, row := range res.rows {
		rec := make([]string, len(row))
		for i, v := range row {
			if v != nil {
				rec[i] = *v
			}
		}
		cw.Write(rec)
	}
	cw.Flush()
	if _, err := s.backend.PutObject(bucket, prefix+q.id+".csv", map[string]string{}, bytes.NewReader(b.Bytes()), int64(b.Len()), nil); err != nil {
		return fmt.Errorf("write the result to %s: %w", q.output, err)
	}
	return nil
}

func (s *Server) describe(q *query) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	status := map[string]any{"State": q.state, "SubmissionDateTime": epoch(q.submitted)}
	if !q.completed.IsZero() {
		status["CompletionDateTime"] = epoch(q.completed)
	}
	if q.reason != "" {
		status["StateChangeReason"] = q.reason
		if q.state == "FAILED" {
			status["AthenaError"] = map[string]any{"ErrorCategory": 2, "ErrorType": 1000, "Retryable": false, "ErrorMessage": q.reason}
		}
	}
	end := q.completed
	if end.IsZero() {
		end = time.Now()
	}
	return map[string]any{
		"QueryExecutionId":      q.id,
		"Query":                 q.sql,
		"StatementType":         "DML",
		"ResultConfiguration":   map[string]any{"OutputLocation": q.output + q.id + ".csv"},
		"QueryExecutionContext": map[string]any{"Database": q.database},
		"Status":                status,
		"Statistics": map[string]any{"DataScannedInBytes": q.scanned.Load(), "EngineExecutionTimeInMillis": end.Sub(q.submitted).Milliseconds(),
			"TotalExecutionTimeInMillis": end.Sub(q.submitted).Milliseconds()},
		"WorkGroup": q.workgroup,
	}
}

// serveResults pages a succeeded query's rows, the header row first, as
// Athena does for a SELECT.
func (s *Server) serveResults(w http.ResponseWriter, q *query, token string, maxResults *int) {
	s.mu.Lock()
	state, res := q.state, q.res
	s.mu.Unlock()
	if state != "SUCCEEDED" {
		invalid(w, "Query has not yet finished. Current state: "+state)
		return
	}
	n := 1000
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > 1000 {
			invalid(w, "MaxResults must be between 1 and 1000")
			return
		}
		n = *maxResults
	}
	type datum struct {
		VarCharValue *string `json:"VarCharValue,omitempty"`
	}
	type row struct {
		Data []datum `json:"Data"`
	}
	all := make([]row, 0, len(res.rows)+1)
	header := row{}
	for _, c := range res.columns {
		header.Data = append(header.Data, datum{VarCharValue: &c})
	}
	all = append(all, header)
	for _, r := range res.rows {
		rr := row{}
		for _, v := range r {
			rr.Data = append(rr.Data, datum{VarCharValue: v})
		}
		all = append(all, rr)
	}
	from := 0
	if token != "" {
		var err error
		if from, err = strconv.Atoi(token); err != nil || from < 0 || from > len(all) {
			invalid(w, "Invalid NextToken")
			return
		}
	}
	to := min(from+n, len(all))
	var columns []map[string]any
	for _, c := range res.columns {
		columns = append(columns, map[string]any{"CatalogName": "hive", "Name": c, "Label": c, "Type": "varchar", "Nullable": "UNKNOWN", "CaseSensitive": true})
	}
	resp := map[string]any{"UpdateCount": 0, "ResultSet": map[string]any{"Rows": all[from:to], "ResultSetMetadata": map[string]any{"ColumnInfo": columns}}}
	if to < len(all) {
		resp["NextToken"] = strconv.Itoa(to)
	}
	writeJSON(w, resp)
}

// serveGlue answers GetTable for the tables defined, with the location and
// projection --create-table writes.
func (s *Server) serveGlue(w http.ResponseWriter, r *http.Request, op string) {
	var body struct{ DatabaseName, Name string }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		jsonError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	if op != "GetTable" {
		jsonError(w, http.StatusBadRequest, "UnknownOperationException", "localathena answers Glue GetTable only")
		return
	}
	s.mu.Lock()
	def, ok := s.tables[strings.ToLower(body.DatabaseName)+"."+strings.ToLower(body.Name)]
	s.mu.Unlock()
	if !ok {
		jsonError(w, http.StatusBadRequest, "EntityNotFoundException", fmt.Sprintf("Table %s not found.", body.Name))
		return
	}
	var cols []map[string]string
	for _, c := range backfill.Columns {
		cols = append(cols, map[string]string{"Name": c.Name, "Type": strings.Join(strings.Fields(strings.ToLower(c.Type)), "")})
	}
	writeJSON(w, map[string]any{"Table": map[string]any{
		"Name": def.table.Name, "DatabaseName": def.table.Database, "TableType": "EXTERNAL_TABLE",
		"StorageDescriptor": map[string]any{"Location": def.location.URL(), "Columns": cols},
		"PartitionKeys": []map[string]string{{"Name": backfill.PartitionAccount, "Type": "string"}, {"Name": backfill.PartitionRegion, "Type": "string"},
			{"Name": backfill.PartitionDate, "Type": "string"}},
		"Parameters": map[string]string{
			"projection.enabled": "true",
			"projection." + backfill.PartitionAccount + ".type":   "enum",
			"projection." + backfill.PartitionAccount + ".values": strings.Join(def.accounts, ","),
			"projection." + backfill.PartitionRegion + ".type":    "enum",
			"projection." + backfill.PartitionRegion + ".values":  strings.Join(def.regions, ","),
			"projection." + backfill.PartitionDate + ".type":      "date",
			"projection." + backfill.PartitionDate + ".format":    "yyyy/MM/dd",
			"storage.location.template":                           def.location.Template(),
		},
	}})
}

// SetMinRunTime changes Config.MinRunTime for the queries started next.
func (s *Server) SetMinRunTime(d time.Duration) { s.minRunTime.Store(int64(d)) }

// ResetS3Reads zeroes the counts of S3Reads.
func (s *Server) ResetS3Reads() {
	s.s3Gets.Store(0)
	s.s3Bytes.Store(0)
}
