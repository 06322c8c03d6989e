package capture

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// facts are what explains a device that does not open.
type facts struct {
	dir     string // the device's directory
	mounted bool   // debugfs is mounted there
	root    bool   // kdf runs as root
	release string // the running kernel's release
	// config is the running kernel's configuration file, "" if none was
	// found; configured says whether it enables kcov_dataflow.
	config     string
	configured bool
}

// The kernel options kcov_dataflow needs, and what builds them.
const needOptions = "CONFIG_KCOV=y, CONFIG_KCOV_DATAFLOW_ARGS=y and CONFIG_KCOV_DATAFLOW_RET=y, " +
	"built with a clang that has -fsanitize-coverage=trace-args,trace-ret"

// explain turns the error of opening the device into one that says what
// is missing and what to do.
func explain(path string, err error, f facts) error {
	switch {
	case errors.Is(err, fs.ErrPermission) && !f.root:
		return fmt.Errorf("cannot open %s: %w: the device is root's alone (mode 0600, under debugfs's 0700): run kdf record as root", path, err)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("cannot open %s: %w, even as root: the kernel restricts debugfs (lockdown, or the debugfs= boot option); boot without the restriction", path, err)
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("cannot open %s: %w", path, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s does not exist: ", path)
	switch {
	case !f.mounted:
		fmt.Fprintf(&b, "debugfs is not mounted at %s; mount it as root (mount -t debugfs none %s)", f.dir, f.dir)
		if f.config != "" && !f.configured {
			fmt.Fprintf(&b, ", but kcov_dataflow will still be missing: this kernel's configuration (%s) does not enable it; build a kernel with %s",
				f.config, needOptions)
		}
	case f.config != "" && !f.configured:
		fmt.Fprintf(&b, "the running kernel (%s) has no kcov_dataflow: its configuration (%s) sets neither CONFIG_KCOV_DATAFLOW_ARGS nor CONFIG_KCOV_DATAFLOW_RET; build a kernel with %s",
			f.release, f.config, needOptions)
	default:
		fmt.Fprintf(&b, "the running kernel (%s) has no kcov_dataflow; it needs %s", f.release, needOptions)
	}
	return fmt.Errorf("%s: %w", b.String(), err)
}

// gatherFacts looks at the system around the device at path.
func gatherFacts(path string) facts {
	f := facts{dir: filepath.Dir(path), root: os.Geteuid() == 0, release: release()}
	var st unix.Statfs_t
	f.mounted = unix.Statfs(f.dir, &st) == nil && st.Type == unix.DEBUGFS_MAGIC
	f.config, f.configured = kernelConfig(f.release)
	return f
}

// release is the running kernel's release, as uname -r prints it.
func release() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
}

// kernelConfig finds the running kernel's configuration, in
// /proc/config.gz or /boot/config-RELEASE, and says whether it enables
// kcov_dataflow. path is "" when there is none to read.
func kernelConfig(rel string) (path string, enabled bool) {
	for _, p := range []string{"/proc/config.gz", "/boot/config-" + rel} {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		defer f.Close()
		var r io.Reader = f
		if strings.HasSuffix(p, ".gz") {
			z, err := gzip.NewReader(f)
			if err != nil {
				continue
			}
			r = z
		}
		return p, configEnables(io.LimitReader(r, 64<<20))
	}
	return "", false
}

// configEnables says whether a kernel configuration builds
// kcov_dataflow: either of its two options does.
func configEnables(r io.Reader) bool {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		switch strings.TrimSpace(sc.Text()) {
		case "CONFIG_KCOV_DATAFLOW_ARGS=y", "CONFIG_KCOV_DATAFLOW_RET=y":
			return true
		}
	}
	return false
}
