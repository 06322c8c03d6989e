package capture

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// The files of a boot's directory.
const (
	kallsymsName   = "kallsyms"
	typeSourceName = "vmlinux.btf"
	manifestName   = "manifest.jsonl"
)

// bootDir is DIR/boot=<id>, the directory of this boot's buffers.
func bootDir(dir, idFile string) (string, error) {
	b, err := os.ReadFile(idFile)
	if err != nil {
		return "", fmt.Errorf("the boot's id: %w", err)
	}
	id := strings.TrimSpace(string(b))
	if id == "" || strings.Trim(id, "0123456789abcdefABCDEF-") != "" {
		return "", fmt.Errorf("the boot's id in %s is %q: want a UUID", idFile, id)
	}
	return filepath.Join(dir, "boot="+id), nil
}

// writeBuffer writes the buffer under the first free name
// prog-NNNNNN.kcdf, counting from the buffers already there; creating
// the file exclusively lets several captures share the directory.
func writeBuffer(dir string, buf []byte) (string, error) {
	have, _ := filepath.Glob(filepath.Join(dir, "prog-*.kcdf"))
	for n := len(have) + 1; ; n++ {
		name := fmt.Sprintf("prog-%06d.kcdf", n)
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		_, err = f.Write(buf)
		if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
			os.Remove(f.Name())
			return "", err
		}
		return name, nil
	}
}

// appendLine appends one line to the manifest, in one write: lines of
// captures writing at once do not interleave.
func appendLine(dir string, line []byte) error {
	f, err := os.OpenFile(filepath.Join(dir, manifestName), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(line)
	return errors.Join(err, f.Close())
}

// snapshot copies src into dir/name unless the boot already has it: a
// boot's kallsyms and type source are the same for all its buffers. The
// copy is written aside and renamed into place, so that nobody reads a
// half-written one. It returns the path written, or "" when there was
// nothing to do; check refuses a copy that would be of no use.
func snapshot(dir, name, src string, check func([]byte) error) (string, error) {
	dst := filepath.Join(dir, name)
	if _, err := os.Stat(dst); err == nil {
		return "", nil
	}
	b, err := os.ReadFile(src) // the files of /proc and /sys have no size to trust
	if err != nil {
		return "", err
	}
	if check != nil {
		if err := check(b); err != nil {
			return "", err
		}
	}
	tmp, err := os.CreateTemp(dir, "."+name+".*")
	if err != nil {
		return "", err
	}
	_, err = tmp.Write(b)
	if err = errors.Join(err, tmp.Close()); err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return dst, nil
}

// errHidden is a kallsyms whose addresses are all zero: kptr_restrict
// hid them from the reader, and no pc can be resolved in it.
var errHidden = errors.New("every address is zero: kernel.kptr_restrict hides them (sysctl kernel.kptr_restrict=1 shows them to root)")

// checkKallsyms refuses a kallsyms that resolves nothing: empty, or
// with every address hidden.
func checkKallsyms(b []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(b))
	lines := 0
	for sc.Scan() {
		addr, _, _ := strings.Cut(sc.Text(), " ")
		if strings.Trim(addr, "0") != "" {
			return nil
		}
		lines++
	}
	if lines == 0 {
		return errors.New("no symbols")
	}
	return errHidden
}

// writable fails when dir cannot be created or written, before anything
// runs: a recording is not made to be lost.
func writable(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		switch {
		case err == nil && !fi.IsDir():
			return fmt.Errorf("%s is not a directory", d)
		case err == nil:
			if err := unix.Access(d, unix.W_OK|unix.X_OK); err != nil {
				return fmt.Errorf("cannot write in %s: %w", d, err)
			}
			return nil
		case !errors.Is(err, fs.ErrNotExist) || d == filepath.Dir(d):
			return err
		}
	}
}
