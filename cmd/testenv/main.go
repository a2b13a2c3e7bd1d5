// Command testenv starts DynamoDB Local and the SQS emulator once, runs a
// command with their endpoints in the environment, and stops them again:
//
//	go run ./cmd/testenv -- go test ./...
//
// The command sees LEADFLOW_TEST_DYNAMODB_ENDPOINT and
// LEADFLOW_TEST_SQS_ENDPOINT (read by internal/testenv), gets this
// process's stdin/stdout/stderr, and its exit code becomes ours. SIGINT and
// SIGTERM are passed on to the command; the emulators are stopped whatever
// happens.
//
//	go run ./cmd/testenv -fetch
//
// only fetches both emulators into the cache (see internal/emulator).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/leadflow/leadflow/internal/emulator"
	"github.com/leadflow/leadflow/internal/testenv"
)

func main() {
	os.Exit(run())
}

func run() int {
	fetchOnly := flag.Bool("fetch", false, "only fetch the emulators into the cache, then exit")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: testenv [-fetch] [--] command [args...]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	args := flag.Args()
	if !*fetchOnly && len(args) == 0 {
		flag.Usage()
		return 2
	}

	// SIGINT/SIGTERM abort the start while the emulators come up, and are
	// passed on to the command once it runs.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var (
		mu      sync.Mutex
		child   *os.Process
		running = make(chan struct{}) // closed when the command has exited
	)
	go func() {
		for {
			select {
			case sig := <-sigs:
				mu.Lock()
				if child != nil {
					// The command shares our process group, so a terminal's
					// Ctrl-C reached it already; forwarding covers kill(1)
					// and CI cancellation.
					_ = child.Signal(sig)
				} else {
					cancel()
				}
				mu.Unlock()
			case <-running:
				return
			}
		}
	}()

	if *fetchOnly {
		if err := fetch(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "testenv:", err)
			return 1
		}
		return 0
	}

	t0 := time.Now()
	dyn, sqs, err := startBoth(ctx)
	defer func() {
		for _, p := range []*emulator.Process{dyn, sqs} {
			if p != nil {
				if err := p.Stop(); err != nil {
					fmt.Fprintln(os.Stderr, "testenv:", err)
				}
			}
		}
	}()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "testenv: DynamoDB Local at %s, SQS (fauxqs) at %s (ready in %.1fs)\n",
		dyn.Endpoint, sqs.Endpoint, time.Since(t0).Seconds())

	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = commandAttr()
	cmd.Env = append(os.Environ(),
		testenv.DynamoEndpointEnv+"="+dyn.Endpoint,
		testenv.SQSEndpointEnv+"="+sqs.Endpoint,
	)
	mu.Lock()
	if ctx.Err() != nil { // interrupted while the emulators started
		mu.Unlock()
		return 130
	}
	err = cmd.Start()
	if err == nil {
		child = cmd.Process
	}
	mu.Unlock()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 127
	}
	err = cmd.Wait()
	close(running)
	return exitCode(err)
}

// startBoth starts the two emulators in parallel.
func startBoth(ctx context.Context) (dyn, sqs *emulator.Process, err error) {
	type result struct {
		p   *emulator.Process
		err error
	}
	dc, sc := make(chan result, 1), make(chan result, 1)
	go func() {
		p, err := emulator.StartDynamoDB(ctx, emulator.DynamoOptions{})
		dc <- result{p, err}
	}()
	go func() {
		p, err := emulator.StartSQS(ctx, emulator.SQSOptions{})
		sc <- result{p, err}
	}()
	d, s := <-dc, <-sc
	return d.p, s.p, errors.Join(d.err, s.err)
}

func fetch(ctx context.Context) error {
	errs := make(chan error, 2)
	go func() {
		dir, err := emulator.EnsureDynamoDB(ctx)
		if err == nil {
			fmt.Fprintln(os.Stderr, "testenv: DynamoDB Local cached in", dir)
		}
		errs <- err
	}()
	go func() {
		dir, err := emulator.EnsureSQS(ctx)
		if err == nil {
			fmt.Fprintln(os.Stderr, "testenv: fauxqs cached in", dir)
		}
		errs <- err
	}()
	return errors.Join(<-errs, <-errs)
}

// exitCode maps the command's end to a shell-style exit code.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	fmt.Fprintln(os.Stderr, "testenv:", err)
	return 1
}
