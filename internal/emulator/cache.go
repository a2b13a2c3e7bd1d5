package emulator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// CacheDirEnv overrides where emulators are cached.
const CacheDirEnv = "LEADFLOW_CACHE_DIR"

// completeMarker is written into a cache entry once it is fully populated;
// entries without it are leftovers of an interrupted fetch.
const completeMarker = ".leadflow-complete"

// CacheDir returns the folder emulators are cached in: $LEADFLOW_CACHE_DIR
// when set, otherwise <repo root>/.cache/emulators, where the repo root is
// the nearest folder holding go.mod, walking up from the working directory.
// Outside a module it falls back to the user cache dir.
func CacheDir() (string, error) {
	if dir := os.Getenv(CacheDirEnv); dir != "" {
		return filepath.Abs(dir)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("emulator: cache dir: %w", err)
	}
	if root, ok := findModuleRoot(wd); ok {
		return filepath.Join(root, ".cache", "emulators"), nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("emulator: no go.mod above %s and no user cache dir: %w", wd, err)
	}
	return filepath.Join(base, "leadflow", "emulators"), nil
}

// findModuleRoot walks up from dir to the first folder holding go.mod.
func findModuleRoot(dir string) (string, bool) {
	dir = filepath.Clean(dir)
	for {
		if fi, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && !fi.IsDir() {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// ensureCached returns cacheDir/name, populating it with fill first when it
// is missing. Concurrent callers (goroutines or separate test processes)
// serialize on an flock'd file; fill writes into a temporary folder that is
// renamed into place only when complete, so nobody sees half an entry.
func ensureCached(ctx context.Context, cacheDir, name string, fill func(ctx context.Context, dir string) error) (string, error) {
	final := filepath.Join(cacheDir, name)
	if isComplete(final) {
		return final, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("emulator: create cache dir: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(cacheDir, name+".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if isComplete(final) { // someone else filled it while we waited
		return final, nil
	}
	if err := os.RemoveAll(final); err != nil { // leftover without marker
		return "", fmt.Errorf("emulator: remove stale %s: %w", final, err)
	}
	tmp, err := os.MkdirTemp(cacheDir, "."+name+".tmp-")
	if err != nil {
		return "", fmt.Errorf("emulator: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := fill(ctx, tmp); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(tmp, completeMarker), []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("emulator: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp made it 0700
		return "", fmt.Errorf("emulator: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("emulator: move %s into the cache: %w", name, err)
	}
	return final, nil
}

func isComplete(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, completeMarker))
	return err == nil
}

// lockFile takes an exclusive flock on path, polling so ctx can cancel the
// wait. The returned func releases it.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("emulator: open lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("emulator: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("emulator: waiting for another process to fill the cache (%s): %w", path, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// runTool runs a helper program (npm) to completion in dir, killing its
// whole process group if ctx ends. On failure the error carries the tail of
// its output.
func runTool(ctx context.Context, dir, path string, args ...string) error {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"npm_config_update_notifier=false",
		"npm_config_fund=false",
		"npm_config_audit=false",
	)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.SysProcAttr = sysProcAttr()
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("emulator: `%s %s` in %s failed: %w\n--- last output ---\n%s",
			filepath.Base(path), strings.Join(args, " "), dir, err, indent(tail(out.String(), 30)))
	}
	return nil
}
