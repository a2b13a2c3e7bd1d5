// Package emulator starts the real local emulators Leadflow is tested
// against — DynamoDB Local (AWS's own, a Java program) and fauxqs (an SQS
// emulator on Node) — as child processes.
//
// Both are fetched on first use into a cache folder (see CacheDir), pinned to
// exact versions, and started on free 127.0.0.1 ports. Each child runs in its
// own process group, is killed with the whole group by Process.Stop, and is
// also killed by the kernel if the Go process dies (Pdeathsig, Linux).
//
// Only Unix-like systems are supported (Linux is what CI and Lambda use).
package emulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultStartTimeout bounds how long a started emulator may take to answer
// its first request (fetching into the cache is bounded only by ctx).
const DefaultStartTimeout = 60 * time.Second

// portAttempts is how many times a start is retried when the chosen port was
// taken between picking it and the emulator binding it.
const portAttempts = 3

// Process is a running emulator.
type Process struct {
	// Name is "dynamodb" or "sqs".
	Name string
	// Endpoint is the base URL to give an AWS SDK client, e.g.
	// "http://127.0.0.1:41234".
	Endpoint string
	// Port is the TCP port the emulator listens on.
	Port int

	cmd      *exec.Cmd
	out      *tailBuffer
	done     chan struct{} // closed when the process has exited
	waitErr  error         // valid once done is closed
	stopOnce sync.Once
	stopErr  error
}

// Logs returns the last lines the emulator wrote to stdout/stderr.
func (p *Process) Logs() string { return p.out.String() }

// PID returns the operating-system process id of the emulator.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed when the emulator process has exited, for whatever reason.
func (p *Process) Done() <-chan struct{} { return p.done }

// Stop terminates the emulator and every process in its process group
// (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. It is safe to
// call more than once and on a process that already exited.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() {
		select {
		case <-p.done:
			return // exited on its own; nothing to stop
		default:
		}
		pgid := p.cmd.Process.Pid // Setpgid: the child leads its own group
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			select {
			case <-p.done:
			case <-time.After(10 * time.Second):
				p.stopErr = fmt.Errorf("emulator %s (pid %d) did not exit after SIGKILL", p.Name, pgid)
			}
		}
	})
	return p.stopErr
}

// MissingToolError says a program an emulator needs is not on PATH, and
// which Debian packages provide it.
type MissingToolError struct {
	Tool     string // "java", "node" or "npm"
	For      string // what needs it
	Packages string // Debian packages, e.g. "openjdk-17-jre-headless"
}

func (e *MissingToolError) Error() string {
	return fmt.Sprintf("%s needs %q, which is not on PATH; install it with "+
		"`apt-get install -y %s` (or run `make deps`)", e.For, e.Tool, e.Packages)
}

func lookTool(tool, forWhat, packages string) (string, error) {
	path, err := exec.LookPath(tool)
	if err != nil {
		return "", &MissingToolError{Tool: tool, For: forWhat, Packages: packages}
	}
	return path, nil
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago. The
// port can be taken by someone else before it is used; callers retry.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("emulator: pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// launchSpec describes how to run one emulator.
type launchSpec struct {
	name  string
	path  string // executable
	args  func(port int) []string
	dir   string                  // working directory
	env   func(port int) []string // extra environment
	port  int                     // fixed port, 0 = pick a free one
	ready func(ctx context.Context, endpoint string) bool
}

// errExited marks a start failure where the child exited before it was ready.
var errExited = errors.New("exited before it was ready")

// errPortInUse marks a start failure where the emulator could not bind its
// port. DynamoDB Local does not exit in that case, so its output is watched.
var errPortInUse = errors.New("port already in use")

func start(ctx context.Context, s launchSpec) (*Process, error) {
	var lastErr error
	for attempt := 1; attempt <= portAttempts; attempt++ {
		port := s.port
		if port == 0 {
			var err error
			if port, err = FreePort(); err != nil {
				return nil, err
			}
		}
		p, err := launch(s, port)
		if err != nil {
			return nil, err
		}
		err = p.waitReady(ctx, s.ready)
		if err == nil {
			return p, nil
		}
		_ = p.Stop()
		lastErr = fmt.Errorf("emulator: %s on port %d: %w\n--- last output ---\n%s", s.name, port, err, indent(tail(p.Logs(), 40)))
		// Retry only a lost race for a port we picked ourselves.
		if s.port != 0 || !errors.Is(err, errPortInUse) {
			break
		}
	}
	return nil, lastErr
}

func launch(s launchSpec, port int) (*Process, error) {
	cmd := exec.Command(s.path, s.args(port)...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), s.env(port)...)
	out := newTailBuffer(64 << 10)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("emulator: start %s: %w", s.name, err)
	}
	p := &Process{
		Name:     s.name,
		Endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		Port:     port,
		cmd:      cmd,
		out:      out,
		done:     make(chan struct{}),
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *Process) waitReady(ctx context.Context, ready func(context.Context, string) bool) error {
	ctx, cancel := context.WithTimeout(ctx, DefaultStartTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := p.startFailure(); err != nil {
			return err
		}
		probeCtx, probeCancel := context.WithTimeout(ctx, 2*time.Second)
		ok := ready(probeCtx, p.Endpoint)
		probeCancel()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			if err := p.startFailure(); err != nil {
				return err
			}
			return fmt.Errorf("not ready after waiting: %w", ctx.Err())
		case <-p.done:
		case <-tick.C:
		}
	}
}

// startFailure reports why a starting emulator can no longer become ready.
func (p *Process) startFailure() error {
	if portInUse(p.Logs()) {
		return errPortInUse
	}
	select {
	case <-p.done:
		return fmt.Errorf("%w (%v)", errExited, p.waitErr)
	default:
		return nil
	}
}

// postJSON sends an AWS JSON-protocol request and reports whether the
// answer was 200 OK. The emulators do not check signatures, but DynamoDB
// Local wants an Authorization header to be present.
func postJSON(ctx context.Context, endpoint, target string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/", strings.NewReader("{}"))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20200101/us-east-1/probe/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func portInUse(logs string) bool {
	l := strings.ToLower(logs)
	return strings.Contains(l, "address already in use") || strings.Contains(l, "eaddrinuse") ||
		strings.Contains(l, "bindexception") || strings.Contains(l, "failed to bind")
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "  (no output)"
	}
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// tailBuffer is an io.Writer that keeps only the last max bytes written.
type tailBuffer struct {
	mu    sync.Mutex
	buf   []byte
	max   int
	trunc bool
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
		b.trunc = true
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := string(b.buf)
	if b.trunc {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:] // drop the partial first line
		}
		s = "...\n" + s
	}
	return s
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
