package emulator

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestCacheDirFromEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(CacheDirEnv, dir)
	got, err := CacheDir()
	if err != nil || got != dir {
		t.Fatalf("CacheDir() = %q, %v; want %q", got, err, dir)
	}
}

func TestCacheDirEnvMadeAbsolute(t *testing.T) {
	t.Setenv(CacheDirEnv, "rel/cache")
	got, err := CacheDir()
	if err != nil || !filepath.IsAbs(got) || !strings.HasSuffix(got, filepath.Join("rel", "cache")) {
		t.Fatalf("CacheDir() = %q, %v; want an absolute path ending in rel/cache", got, err)
	}
}

func TestCacheDirAtModuleRoot(t *testing.T) {
	t.Setenv(CacheDirEnv, "")
	got, err := CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	// Tests run in internal/emulator; the module root is two levels up.
	wd, _ := os.Getwd()
	want := filepath.Join(filepath.Dir(filepath.Dir(wd)), ".cache", "emulators")
	if got != want {
		t.Fatalf("CacheDir() = %q, want %q", got, want)
	}
}

func TestFindModuleRoot(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b", "c")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, ok := findModuleRoot(deep); !ok || got != root {
		t.Fatalf("findModuleRoot = %q, %v; want %q", got, ok, root)
	}
	if _, ok := findModuleRoot(t.TempDir()); ok {
		// TempDir normally lives outside any module (/tmp).
		t.Log("a go.mod exists above the temp dir; skipping the negative check")
	}
}

func TestFreePort(t *testing.T) {
	p, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	if p <= 0 || p > 65535 {
		t.Fatalf("FreePort() = %d", p)
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
	if err != nil {
		t.Fatalf("port %d from FreePort is not usable: %v", p, err)
	}
	l.Close()
}

func TestEnsureCachedFillsOnceUnderConcurrency(t *testing.T) {
	cache := t.TempDir()
	var mu sync.Mutex
	fills := 0
	fill := func(ctx context.Context, dir string) error {
		mu.Lock()
		fills++
		mu.Unlock()
		time.Sleep(50 * time.Millisecond)
		return os.WriteFile(filepath.Join(dir, "payload"), []byte("ok"), 0o644)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			dir, err := ensureCached(context.Background(), cache, "thing-1", fill)
			if err == nil {
				_, err = os.Stat(filepath.Join(dir, "payload"))
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if fills != 1 {
		t.Fatalf("fill ran %d times, want 1", fills)
	}
	leftovers, _ := filepath.Glob(filepath.Join(cache, ".thing-1.tmp-*"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary folders left behind: %v", leftovers)
	}
}

func TestEnsureCachedFailedFillLeavesNothing(t *testing.T) {
	cache := t.TempDir()
	boom := errors.New("boom")
	_, err := ensureCached(context.Background(), cache, "x", func(ctx context.Context, dir string) error {
		os.WriteFile(filepath.Join(dir, "half"), nil, 0o644)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if _, err := os.Stat(filepath.Join(cache, "x")); !os.IsNotExist(err) {
		t.Fatalf("failed fill left %s behind (stat err %v)", filepath.Join(cache, "x"), err)
	}
}

func TestMissingToolErrorNamesPackage(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := StartDynamoDB(context.Background(), DynamoOptions{})
	var mt *MissingToolError
	if !errors.As(err, &mt) || mt.Tool != "java" || !strings.Contains(err.Error(), "openjdk-17-jre-headless") {
		t.Fatalf("StartDynamoDB without java: %v", err)
	}
	_, err = StartSQS(context.Background(), SQSOptions{})
	if !errors.As(err, &mt) || mt.Tool != "node" || !strings.Contains(err.Error(), "nodejs npm") {
		t.Fatalf("StartSQS without node: %v", err)
	}
}

func TestTailBufferKeepsEnd(t *testing.T) {
	b := newTailBuffer(16)
	b.Write([]byte("line one\nline two\nline three\n"))
	got := b.String()
	if !strings.HasSuffix(got, "line three\n") || strings.Contains(got, "one") {
		t.Fatalf("tail = %q", got)
	}
}

// TestStartBoth starts the real emulators (fetching them into the cache on
// first use) and checks they answer, then that Stop kills them.
func TestStartBoth(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	type started struct {
		p   *Process
		err error
	}
	dyn, sqs := make(chan started, 1), make(chan started, 1)
	go func() { p, err := StartDynamoDB(ctx, DynamoOptions{}); dyn <- started{p, err} }()
	go func() { p, err := StartSQS(ctx, SQSOptions{}); sqs <- started{p, err} }()
	d, s := <-dyn, <-sqs
	for _, r := range []started{d, s} {
		if r.p != nil {
			t.Cleanup(func() { r.p.Stop() })
		}
	}
	if d.err != nil {
		t.Fatalf("StartDynamoDB: %v", d.err)
	}
	if s.err != nil {
		t.Fatalf("StartSQS: %v", s.err)
	}

	for _, p := range []*Process{d.p, s.p} {
		if !strings.HasPrefix(p.Endpoint, "http://127.0.0.1:") || p.Port == 0 {
			t.Errorf("%s endpoint %q port %d", p.Name, p.Endpoint, p.Port)
		}
	}
	if !postJSON(ctx, d.p.Endpoint, "DynamoDB_20120810.ListTables") {
		t.Errorf("DynamoDB Local at %s does not answer ListTables", d.p.Endpoint)
	}
	if !postJSON(ctx, s.p.Endpoint, "AmazonSQS.ListQueues") {
		t.Errorf("fauxqs at %s does not answer ListQueues", s.p.Endpoint)
	}

	for _, p := range []*Process{d.p, s.p} {
		pid := p.PID()
		if err := p.Stop(); err != nil {
			t.Errorf("Stop %s: %v", p.Name, err)
		}
		if err := p.Stop(); err != nil { // idempotent
			t.Errorf("second Stop %s: %v", p.Name, err)
		}
		if err := syscall.Kill(pid, 0); err == nil {
			t.Errorf("%s (pid %d) still alive after Stop", p.Name, pid)
		}
		c := http.Client{Timeout: time.Second}
		if resp, err := c.Get(p.Endpoint); err == nil {
			resp.Body.Close()
			t.Errorf("%s still answers at %s after Stop", p.Name, p.Endpoint)
		}
	}
}

// TestFixedPortTakenFails checks a busy fixed port gives a prompt error
// carrying the emulator's own output. (DynamoDB Local does not exit when it
// cannot bind, so this also checks its output is watched.)
func TestFixedPortTakenFails(t *testing.T) {
	l, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	t0 := time.Now()
	p, err := StartSQS(ctx, SQSOptions{Port: port})
	if err == nil {
		p.Stop()
		t.Fatal("StartSQS on a busy port succeeded")
	}
	if !errors.Is(err, errPortInUse) || !strings.Contains(err.Error(), "EADDRINUSE") {
		t.Fatalf("StartSQS error does not show the emulator's output: %v", err)
	}

	p, err = StartDynamoDB(ctx, DynamoOptions{Port: port})
	if err == nil {
		p.Stop()
		t.Fatal("StartDynamoDB on a busy port succeeded")
	}
	if !errors.Is(err, errPortInUse) || !strings.Contains(err.Error(), "Address already in use") {
		t.Fatalf("StartDynamoDB error does not show the emulator's output: %v", err)
	}
	if d := time.Since(t0); d > DefaultStartTimeout/2 {
		t.Errorf("failing on a busy port took %v; the output should have been noticed early", d)
	}
}

// TestDynamoDBDataDirPersists checks DataDir (used by make dev) keeps tables
// across restarts.
func TestDynamoDBDataDirPersists(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	data := filepath.Join(t.TempDir(), "ddb")
	call := func(p *Process, target, body string) string {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.Endpoint, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+target)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		io.Copy(&b, resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s %s", target, resp.Status, b.String())
		}
		return b.String()
	}

	p, err := StartDynamoDB(ctx, DynamoOptions{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	call(p, "CreateTable", `{"TableName":"kept","BillingMode":"PAY_PER_REQUEST",
		"AttributeDefinitions":[{"AttributeName":"PK","AttributeType":"S"}],
		"KeySchema":[{"AttributeName":"PK","KeyType":"HASH"}]}`)
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}

	p, err = StartDynamoDB(ctx, DynamoOptions{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	if got := call(p, "ListTables", "{}"); !strings.Contains(got, `"kept"`) {
		t.Fatalf("after restart ListTables = %s, want table kept", got)
	}
}
