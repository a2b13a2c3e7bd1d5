package emulator

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// FauxqsVersion is the pinned fauxqs release (2.x needs Node >= 22).
const FauxqsVersion = "1.9.2"

// npmFiles is the npm project that installs fauxqs: package.json and
// package-lock.json pin the whole dependency tree, start.mjs launches it.
//
//go:embed npm/package.json npm/package-lock.json npm/start.mjs
var npmFiles embed.FS

var npmFileNames = []string{"package.json", "package-lock.json", "start.mjs"}

// SQSOptions configures StartSQS.
type SQSOptions struct {
	// Port to listen on; 0 picks a free one.
	Port int
}

// StartSQS installs fauxqs into the cache if needed (npm ci from the
// committed lock file), starts it and waits until it answers ListQueues.
// ctx bounds the install and the start; the process lives until Stop.
//
// Queue URLs it hands out are http://127.0.0.1:PORT/000000000000/<name>.
func StartSQS(ctx context.Context, opts SQSOptions) (*Process, error) {
	node, err := lookTool("node", "The SQS emulator (fauxqs)", "nodejs npm")
	if err != nil {
		return nil, err
	}
	dir, err := EnsureSQS(ctx)
	if err != nil {
		return nil, err
	}
	return start(ctx, launchSpec{
		name: "sqs",
		path: node,
		dir:  dir,
		args: func(int) []string { return []string{filepath.Join(dir, "start.mjs")} },
		env: func(port int) []string {
			// FAUXQS_HOST is deliberately left unset: with it, queue URLs
			// become http://sqs.<region>.<host>:PORT/..., which does not
			// resolve to 127.0.0.1.
			return []string{"FAUXQS_PORT=" + strconv.Itoa(port), "FAUXQS_LOGGER=false"}
		},
		port: opts.Port,
		ready: func(ctx context.Context, endpoint string) bool {
			return postJSON(ctx, endpoint, "AmazonSQS.ListQueues")
		},
	})
}

// EnsureSQS makes sure fauxqs is installed in the cache and returns the
// folder holding start.mjs and node_modules/.
func EnsureSQS(ctx context.Context) (string, error) {
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	// The cache entry is keyed by the npm files' content, so editing the
	// lock file or launcher installs afresh.
	h := sha256.New()
	for _, name := range npmFileNames {
		b, err := npmFiles.ReadFile("npm/" + name)
		if err != nil {
			return "", fmt.Errorf("emulator: embedded %s: %w", name, err)
		}
		fmt.Fprintf(h, "%s %d\n", name, len(b))
		h.Write(b)
	}
	name := "fauxqs-" + FauxqsVersion + "-" + hex.EncodeToString(h.Sum(nil))[:12]
	return ensureCached(ctx, cache, name, installFauxqs)
}

func installFauxqs(ctx context.Context, dest string) error {
	npm, err := lookTool("npm", "Installing the SQS emulator (fauxqs)", "nodejs npm")
	if err != nil {
		return err
	}
	for _, name := range npmFileNames {
		b, err := npmFiles.ReadFile("npm/" + name)
		if err != nil {
			return fmt.Errorf("emulator: embedded %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dest, name), b, 0o644); err != nil {
			return fmt.Errorf("emulator: %w", err)
		}
	}
	if err := runTool(ctx, dest, npm, "ci", "--no-audit", "--no-fund"); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dest, "node_modules", "fauxqs", "dist", "app.js")); err != nil {
		return fmt.Errorf("emulator: npm ci did not install fauxqs: %w", err)
	}
	return nil
}
