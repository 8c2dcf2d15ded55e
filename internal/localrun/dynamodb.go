package localrun

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/ebsguard/ebsguard/internal/deployment"
)

// DeliveryTable is the delivery table's name in local runs.
const DeliveryTable = "ebsguard-delivery"

// DynaliteCLI is where `make dynalite` installs dynalite, from the module
// root (pinned by internal/localrun/dynalite/package-lock.json).
const DynaliteCLI = ".build/dynalite/node_modules/dynalite/cli.js"

// DynamoDB is dynalite, a DynamoDB implementation (in memory here), run by
// Node.js on a loopback port with the delivery table created, as the
// deployments create it.
//
// dynalite rather than DynamoDB Local: it needs Node.js, which the CDK
// already needs, not a Java runtime; it implements the conditional writes,
// consistent reads and queries the delivery table uses; and npm pins it
// with a lock file.
type DynamoDB struct {
	URL    string
	cmd    *exec.Cmd
	exited chan struct{} // closed once dynalite has exited
}

// FindDynalite returns DynaliteCLI under the module root above dir, or "".
func FindDynalite(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for d := abs; ; d = filepath.Dir(d) {
		p := filepath.Join(d, DynaliteCLI)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// StartDynamoDB starts dynalite (cli is its cli.js) and creates the delivery
// table. As with the emulator, the port is picked before dynalite binds it:
// the start holds once dynalite itself listens there, else it is tried again.
func StartDynamoDB(ctx context.Context, cli string) (*DynamoDB, error) {
	return untilBound(func() (*DynamoDB, error) { return startDynamoDB(ctx, cli) })
}

// pickPort picks dynalite's address (a test replaces it).
var pickPort = freePort

func startDynamoDB(ctx context.Context, cli string) (*DynamoDB, error) {
	addr, err := pickPort()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command("node", cli, "--host", "127.0.0.1", "--port", port)
	var stderr lastBytes
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start dynalite: %w", err)
	}
	d := &DynamoDB{URL: "http://" + addr, cmd: cmd, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(d.exited) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		held, err := listensOn(cmd.Process.Pid, addr)
		if err != nil {
			d.Close()
			return nil, err
		}
		if held {
			break
		}
		select {
		case <-d.exited:
			err := fmt.Errorf("dynalite exited at start (%s): %s", cmd.ProcessState, stderr.lastLine())
			if strings.Contains(stderr.String(), addrInUse) {
				err = fmt.Errorf("%w: %w", errPortTaken, err)
			}
			return nil, err
		case <-ctx.Done():
			d.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			d.Close()
			return nil, errors.New("dynalite did not listen within 20 s")
		}
	}
	if err := d.createTable(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// lastBytes keeps the last few kilobytes written to it: what a process
// printed before it died.
type lastBytes struct {
	mu sync.Mutex
	b  []byte
}

func (l *lastBytes) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	if over := len(l.b) - 4096; over > 0 {
		l.b = l.b[over:]
	}
	return len(p), nil
}

func (l *lastBytes) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}

// lastLine is the last line that says something, or a placeholder.
func (l *lastBytes) lastLine() string {
	lines := strings.Split(strings.TrimSpace(l.String()), "\n")
	for _, line := range slices.Backward(lines) {
		if strings.Contains(line, "Error") {
			return strings.TrimSpace(line)
		}
	}
	if last := strings.TrimSpace(lines[len(lines)-1]); last != "" {
		return last
	}
	return "it printed nothing"
}

// Client is a DynamoDB client for the local endpoint.
func (d *DynamoDB) Client() *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       Region,
		BaseEndpoint: awssdk.String(d.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

func (d *DynamoDB) createTable(ctx context.Context) error {
	db := d.Client()
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: awssdk.String(DeliveryTable),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: awssdk.String(deployment.DeliveryPartitionKey), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: awssdk.String(deployment.DeliverySortKey), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: awssdk.String(deployment.DeliveryPartitionKey), KeyType: types.KeyTypeHash},
			{AttributeName: awssdk.String(deployment.DeliverySortKey), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	if err != nil {
		return fmt.Errorf("create table %s: %w", DeliveryTable, err)
	}
	// dynalite creates a table in the background, as DynamoDB does.
	return dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 200*time.Millisecond
	}).Wait(ctx, &dynamodb.DescribeTableInput{TableName: awssdk.String(DeliveryTable)}, 20*time.Second)
}

// Env is the function's environment for the table. The notice windows
// live in this table too, and would hold a permanent error's notice for an
// hour: local runs publish every notice on its own (NOTICE_WINDOW=0).
func (d *DynamoDB) Env() []string {
	return []string{"AWS_ENDPOINT_URL_DYNAMODB=" + d.URL, deployment.EnvDeliveryTable + "=" + DeliveryTable, deployment.EnvNoticeWindow + "=0"}
}

// Close stops dynalite; the table was in memory.
func (d *DynamoDB) Close() error {
	if d.cmd.Process == nil {
		return nil
	}
	d.cmd.Process.Kill()
	<-d.exited
	return nil
}
