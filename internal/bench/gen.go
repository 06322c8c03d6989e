package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// campaign generates a campaign with kdf gen's args into the work
// directory once. A campaign left by an earlier run is used again if
// its stamp, written beside it last, names the same args and the same
// generator: generating the 160M-record campaign alone takes a minute.
func (b *bench) campaign(name string, args ...string) (string, error) {
	dir := filepath.Join(b.work, name)
	stamp := dir + ".gen"
	want := b.genPrint + " gen " + strings.Join(args, " ") + "\n"
	if got, err := os.ReadFile(stamp); err == nil && string(got) == want {
		return dir, nil
	}
	os.Remove(stamp)
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	start := time.Now()
	out, err := b.gen(dir, args...)
	if err != nil {
		return "", err
	}
	b.genSeconds[name] = time.Since(start).Seconds()
	fmt.Fprintf(os.Stderr, "bench: %s generated in %.1f s: %s", name, b.genSeconds[name], out)
	return dir, os.WriteFile(stamp, []byte(want), 0o644)
}

func (b *bench) gen(dir string, args ...string) ([]byte, error) {
	out, err := exec.Command(b.kdf, append([]string{"gen", "-o", dir}, args...)...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("kdf gen %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out, nil
}

// fingerprint hashes a small campaign of realistic buffers, sized by
// records: kdf builds that change nothing in the generator keep their
// campaigns, and any that changes what it writes changes this.
func (b *bench) fingerprint() (string, error) {
	dir, err := os.MkdirTemp(b.work, "probe-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	if _, err := b.gen(dir, "--records", "300000", "--size-dist", "realistic"); err != nil {
		return "", err
	}
	h := sha256.New()
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		fmt.Fprintf(h, "%s %d\n", strings.TrimPrefix(p, dir), len(data))
		h.Write(data)
		return err
	})
	return hex.EncodeToString(h.Sum(nil)), err
}
