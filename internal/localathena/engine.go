package localathena

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/ebsguard/ebsguard/internal/backfill"
)

// Why DuckDB: it is embedded (a Go driver, no server to run), reads gzip
// JSON natively (read_json with compression), unnests a log file's Records
// into rows, and speaks a SQL close enough to Athena's (Trino) that the
// query backfill sends runs unchanged: string comparisons, IN lists, IS NULL,
// quoted identifiers. SQLite would need the files loaded first and has no
// gzip; a hand-written evaluator would not be a real SQL engine.

// pathColumn is the one difference between the table Athena exposes and
// this engine's view: Athena's "$path" is a hidden pseudo-column of every
// table, here it is an ordinary column of the view with that very name
// (DuckDB accepts any quoted identifier), computed from the file the row was
// read from. The query therefore runs unchanged; only SELECT * differs (it
// shows "$path" here, not in Athena).
const pathColumn = "$path"

// partition is the files of one account, Region and day.
type partition struct {
	id                    string // account/region/yyyy/MM/dd
	account, region, date string
	files                 []string
	bytes                 int64
}

// trailKey matches a CloudTrail log's key below its bucket.
var trailKey = regexp.MustCompile(`^(?:.*/)?AWSLogs/(?:(o-[a-z0-9]+)/)?([0-9]{12})/CloudTrail/([a-z0-9-]+)/([0-9]{4}/[0-9]{2}/[0-9]{2})/[^/]+\.json\.gz$`)

// engine runs SQL on DuckDB over the trail's files. Queries run one at a
// time, on one connection: the partitions a query touches are counted by a
// function of that connection.
type engine struct {
	db   *sql.DB
	conn *sql.Conn
	mu   sync.Mutex // one query at a time

	tmu     sync.Mutex
	touched map[string]bool // partitions read by the running query
	sizes   map[string]int64
	onTouch func(bytes int64)
}

func newEngine(ctx context.Context) (*engine, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("open DuckDB: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to DuckDB: %w", err)
	}
	e := &engine{db: db, conn: conn, sizes: map[string]int64{}}
	if err := duckdb.RegisterScalarUDF(conn, "localathena_scan", touchFunc{e}); err != nil {
		e.close()
		return nil, fmt.Errorf("register the scan counter: %w", err)
	}
	return e, nil
}

func (e *engine) close() {
	e.conn.Close()
	e.db.Close()
}

// touchFunc is localathena_scan(partition): true, noting that the partition
// is being read. Each partition's branch of the view filters on it, so it is
// called only for the partitions the query's predicates leave (DuckDB drops
// the others' branches when it plans the query, as Athena prunes partitions).
type touchFunc struct{ e *engine }

func (f touchFunc) Config() duckdb.ScalarFuncConfig {
	in, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	out, _ := duckdb.NewTypeInfo(duckdb.TYPE_BOOLEAN)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{in}, ResultTypeInfo: out, Volatile: true}
}

func (f touchFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: func(values []driver.Value) (any, error) {
		id, _ := values[0].(string)
		e := f.e
		e.tmu.Lock()
		first := e.touched != nil && !e.touched[id]
		if first {
			e.touched[id] = true
		}
		cb, n := e.onTouch, e.sizes[id]
		e.tmu.Unlock()
		if first && cb != nil {
			cb(n)
		}
		return true, nil
	}}
}

// scan lists the trail's log files under root (the bucket's folder) by
// partition.
func scan(root string) ([]partition, error) {
	byID := map[string]*partition{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		m := trailKey.FindStringSubmatch(filepath.ToSlash(rel))
		if m == nil {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		id := m[2] + "/" + m[3] + "/" + m[4]
		p := byID[id]
		if p == nil {
			p = &partition{id: id, account: m[2], region: m[3], date: m[4]}
			byID[id] = p
		}
		p.files = append(p.files, path)
		p.bytes += info.Size()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the trail under %s: %w", root, err)
	}
	out := make([]partition, 0, len(byID))
	for _, p := range byID {
		slices.Sort(p.files)
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b partition) int { return strings.Compare(a.id, b.id) })
	return out, nil
}

// recordType is the DuckDB type read_json reads a record as: every column of
// the Athena table by its JSON field, the nested ones as JSON text (as the
// table's requestparameters is).
func recordType() string {
	var fields []string
	for _, c := range backfill.Columns {
		t := "VARCHAR"
		if c.Complex {
			t = "JSON"
		}
		fields = append(fields, fmt.Sprintf("%s %s", ident(c.Field), t))
	}
	return "STRUCT(" + strings.Join(fields, ", ") + ")[]"
}

// createTable makes database.name a view over the partitions, one branch
// each with its partition columns as constants.
func (e *engine) createTable(ctx context.Context, t backfill.Table, root, bucket string, parts []partition) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	cols := make([]string, 0, len(backfill.Columns))
	for _, c := range backfill.Columns {
		cols = append(cols, fmt.Sprintf("CAST(r.%s AS VARCHAR) AS %s", ident(c.Field), c.Name))
	}
	rootSlash := filepath.ToSlash(root) + "/"
	var branches []string
	e.tmu.Lock()
	for _, p := range parts {
		e.sizes[p.id] = p.bytes
		files := make([]string, len(p.files))
		for i, f := range p.files {
			files[i] = literal(f)
		}
		branches = append(branches, fmt.Sprintf(`SELECT %s, %s AS %s, %s AS %s, %s AS %s, replace(filename, %s, %s) AS %s
FROM (SELECT unnest("Records") AS r, filename FROM read_json([%s], columns={'Records': %s}, compression='gzip', filename=true, maximum_object_size=1073741824))
WHERE localathena_scan(%s)`,
			strings.Join(cols, ", "),
			literal(p.account), backfill.PartitionAccount, literal(p.region), backfill.PartitionRegion, literal(p.date), ident(backfill.PartitionDate),
			literal(rootSlash), literal("s3://"+bucket+"/"), ident(pathColumn),
			strings.Join(files, ", "), literal(recordType()), literal(p.id)))
	}
	e.tmu.Unlock()
	if len(branches) == 0 {
		// An empty trail: the same columns, no rows.
		var empty []string
		for _, c := range backfill.Columns {
			empty = append(empty, "NULL::VARCHAR AS "+c.Name)
		}
		for _, n := range []string{backfill.PartitionAccount, backfill.PartitionRegion, backfill.PartitionDate, pathColumn} {
			empty = append(empty, "NULL::VARCHAR AS "+ident(n))
		}
		branches = []string{"SELECT " + strings.Join(empty, ", ") + " WHERE false"}
	}
	stmts := []string{
		"CREATE SCHEMA IF NOT EXISTS " + ident(t.Database),
		fmt.Sprintf("CREATE OR REPLACE VIEW %s.%s AS\n%s", ident(t.Database), ident(t.Name), strings.Join(branches, "\nUNION ALL\n")),
	}
	for _, s := range stmts {
		if _, err := e.conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("create table %s: %w", t, err)
		}
	}
	return nil
}

// result is a query's answer.
type result struct {
	columns []string
	rows    [][]*string // nil: NULL
	scanned int64
}

// run executes a query in a database, calling onScan with the bytes of each
// partition as the query starts reading it.
func (e *engine) run(ctx context.Context, database, query string, onScan func(int64)) (result, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tmu.Lock()
	e.touched, e.onTouch = map[string]bool{}, onScan
	e.tmu.Unlock()
	defer func() {
		e.tmu.Lock()
		e.touched, e.onTouch = nil, nil
		e.tmu.Unlock()
	}()
	// Athena's database is for unqualified names: the queries sent here
	// name database.table.
	_ = database
	var res result
	rows, err := e.conn.QueryContext(ctx, query)
	if err != nil {
		return res, err
	}
	defer rows.Close()
	if res.columns, err = rows.Columns(); err != nil {
		return res, err
	}
	for rows.Next() {
		vals := make([]any, len(res.columns))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return res, err
		}
		row := make([]*string, len(vals))
		for i, v := range vals {
			if v != nil {
				s := fmt.Sprint(v)
				row[i] = &s
			}
		}
		res.rows = append(res.rows, row)
	}
	if err := rows.Err(); err != nil {
		return res, err
	}
	e.tmu.Lock()
	for id := range e.touched {
		res.scanned += e.sizes[id]
	}
	e.tmu.Unlock()
	return res, nil
}

func ident(s string) string   { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
