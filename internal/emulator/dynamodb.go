package emulator

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// DynamoDB Local comes from the npm tarball of amplify-dynamodb-simulator,
// which embeds AWS's DynamoDB Local distribution under package/emulator/.
const (
	DynamoDBLocalVersion = "1.25.1"
	dynamoNpmPackage     = "amplify-dynamodb-simulator@2.9.30"
	// dist.integrity of the tarball on registry.npmjs.org.
	dynamoNpmIntegrity = "sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ=="
	dynamoTarPrefix    = "package/emulator/"
	dynamoCacheName    = "dynamodb-local-" + DynamoDBLocalVersion
)

// DynamoOptions configures StartDynamoDB.
type DynamoOptions struct {
	// DataDir, when set, makes DynamoDB Local persist to that folder
	// (-sharedDb -dbPath DIR) instead of running in memory. Created if
	// missing.
	DataDir string
	// Port to listen on; 0 picks a free one.
	Port int
}

// StartDynamoDB fetches DynamoDB Local into the cache if needed, starts it
// and waits until it answers ListTables. ctx bounds the fetch and the start;
// the process lives until Stop (or until this process dies).
func StartDynamoDB(ctx context.Context, opts DynamoOptions) (*Process, error) {
	java, err := lookTool("java", "DynamoDB Local", "openjdk-17-jre-headless")
	if err != nil {
		return nil, err
	}
	dir, err := EnsureDynamoDB(ctx)
	if err != nil {
		return nil, err
	}
	storage := []string{"-inMemory"}
	if opts.DataDir != "" {
		data, err := filepath.Abs(opts.DataDir)
		if err != nil {
			return nil, fmt.Errorf("emulator: dynamodb data dir: %w", err)
		}
		if err := os.MkdirAll(data, 0o755); err != nil {
			return nil, fmt.Errorf("emulator: dynamodb data dir: %w", err)
		}
		storage = []string{"-sharedDb", "-dbPath", data}
	}
	return start(ctx, launchSpec{
		name: "dynamodb",
		path: java,
		dir:  dir,
		args: func(port int) []string {
			args := []string{"-Djava.library.path=DynamoDBLocal_lib", "-jar", "DynamoDBLocal.jar"}
			args = append(args, storage...)
			return append(args, "-port", strconv.Itoa(port), "-disableTelemetry")
		},
		env:  func(int) []string { return nil },
		port: opts.Port,
		ready: func(ctx context.Context, endpoint string) bool {
			return postJSON(ctx, endpoint, "DynamoDB_20120810.ListTables")
		},
	})
}

// EnsureDynamoDB makes sure DynamoDB Local is in the cache and returns its
// folder (holding DynamoDBLocal.jar and DynamoDBLocal_lib/).
func EnsureDynamoDB(ctx context.Context) (string, error) {
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	return ensureCached(ctx, cache, dynamoCacheName, fetchDynamoDB)
}

func fetchDynamoDB(ctx context.Context, dest string) error {
	npm, err := lookTool("npm", "Fetching DynamoDB Local", "nodejs npm")
	if err != nil {
		return err
	}
	dl, err := os.MkdirTemp(filepath.Dir(dest), ".npm-pack-")
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	defer os.RemoveAll(dl)
	if err := runTool(ctx, dl, npm, "pack", dynamoNpmPackage, "--pack-destination", dl); err != nil {
		return err
	}
	tgzs, _ := filepath.Glob(filepath.Join(dl, "*.tgz"))
	if len(tgzs) != 1 {
		return fmt.Errorf("emulator: npm pack %s left %d tarballs in %s, want 1", dynamoNpmPackage, len(tgzs), dl)
	}
	if err := checkIntegrity(tgzs[0], dynamoNpmIntegrity); err != nil {
		return err
	}
	if err := extractTarGz(tgzs[0], dynamoTarPrefix, dest); err != nil {
		return fmt.Errorf("emulator: extract %s: %w", tgzs[0], err)
	}
	if _, err := os.Stat(filepath.Join(dest, "DynamoDBLocal.jar")); err != nil {
		return fmt.Errorf("emulator: %s has no %sDynamoDBLocal.jar", dynamoNpmPackage, dynamoTarPrefix)
	}
	return nil
}

// checkIntegrity compares a file against an npm-style "sha512-<base64>" value.
func checkIntegrity(file, want string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	defer f.Close()
	h := sha512.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("emulator: read %s: %w", file, err)
	}
	got := "sha512-" + base64.StdEncoding.EncodeToString(h.Sum(nil))
	if got != want {
		return fmt.Errorf("emulator: %s integrity %s, want %s", filepath.Base(file), got, want)
	}
	return nil
}

// extractTarGz writes the entries of a .tgz that live under prefix into dest,
// with prefix stripped.
func extractTarGz(file, prefix, dest string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	n := 0
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		name := path.Clean(hdr.Name)
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		rel := strings.TrimPrefix(name, prefix)
		if rel == "" || !filepath.IsLocal(rel) {
			continue
		}
		target := filepath.Join(dest, filepath.FromSlash(rel))
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			if err := writeFile(target, tr, hdr.FileInfo().Mode().Perm()|0o644); err != nil {
				return err
			}
			n++
		default:
			// npm tarballs hold only files and folders; ignore anything else.
		}
	}
	if n == 0 {
		return fmt.Errorf("no files under %s", prefix)
	}
	return nil
}

func writeFile(path string, r io.Reader, mode os.FileMode) error {
	out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
