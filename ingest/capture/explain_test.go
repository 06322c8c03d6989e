package capture

import (
	"io/fs"
	"os/exec"
	"strings"
	"testing"
)

// TestExplain: a device that does not open is explained by what is
// missing, with what to do.
func TestExplain(t *testing.T) {
	const path = "/sys/kernel/debug/kcov_dataflow"
	base := facts{dir: "/sys/kernel/debug", mounted: true, root: true, release: "6.18.0"}
	for _, c := range []struct {
		name string
		err  error
		f    func(*facts)
		want []string
	}{
		{"not root", fs.ErrPermission, func(f *facts) { f.root = false }, []string{"permission denied", "run kdf record as root"}},
		{"root refused", fs.ErrPermission, nil, []string{"even as root", "lockdown"}},
		{"no debugfs", fs.ErrNotExist, func(f *facts) { f.mounted = false },
			[]string{"debugfs is not mounted at /sys/kernel/debug", "mount -t debugfs none /sys/kernel/debug"}},
		{"no debugfs, no option", fs.ErrNotExist, func(f *facts) { f.mounted, f.config = false, "/boot/config-6.18.0" },
			[]string{"debugfs is not mounted", "configuration (/boot/config-6.18.0) does not enable it", "CONFIG_KCOV_DATAFLOW_ARGS=y"}},
		{"no option", fs.ErrNotExist, func(f *facts) { f.config = "/proc/config.gz" },
			[]string{"(6.18.0) has no kcov_dataflow", "(/proc/config.gz) sets neither CONFIG_KCOV_DATAFLOW_ARGS nor CONFIG_KCOV_DATAFLOW_RET", "trace-args,trace-ret"}},
		{"no device", fs.ErrNotExist, nil, []string{"(6.18.0) has no kcov_dataflow; it needs CONFIG_KCOV=y, CONFIG_KCOV_DATAFLOW_ARGS=y"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := base
			if c.f != nil {
				c.f(&f)
			}
			msg := explain(path, c.err, f).Error()
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%q\nlacks %q", msg, w)
				}
			}
		})
	}
}

func TestConfigEnables(t *testing.T) {
	for cfg, want := range map[string]bool{
		"CONFIG_KCOV=y\nCONFIG_KCOV_DATAFLOW_ARGS=y\n":              true,
		"CONFIG_KCOV=y\nCONFIG_KCOV_DATAFLOW_RET=y\n":               true,
		"CONFIG_KCOV=y\n# CONFIG_KCOV_DATAFLOW_ARGS is not set\n":   false,
		"CONFIG_KCOV_DATAFLOW_ARGS_EXTRA=y\nCONFIG_KCOV_DATAFLOW=y": false,
	} {
		if got := configEnables(strings.NewReader(cfg)); got != want {
			t.Errorf("configEnables(%q) = %v", cfg, got)
		}
	}
}

// TestIoctlRequests: the requests are the uAPI's _IOR('d', 1, unsigned
// long), _IO('d', 100) and _IO('d', 103) on a 64-bit kernel.
func TestIoctlRequests(t *testing.T) {
	for name, c := range map[string]struct{ got, want uint }{
		"KCOV_DF_INIT_TRACK":     {ioctlInitTrack, 0x80086401},
		"KCOV_DF_ENABLE":         {ioctlEnable, 0x6464},
		"KCOV_DF_REMOTE_DISABLE": {ioctlRemoteDisable, 0x6467},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", name, c.got, c.want)
		}
	}
}

func TestOrders(t *testing.T) {
	for _, o := range []orders{{status: 3, device: -1}, {status: 3, device: 4, words: 512, enable: true}} {
		got, err := parseOrders(o.String())
		if err != nil || got != o {
			t.Errorf("parseOrders(%q) = %+v, %v", o.String(), got, err)
		}
	}
	for _, s := range []string{"", "status=x", "status=3,device=4", "status=3,colour=red", "device=4,words=9"} {
		if _, err := parseOrders(s); err == nil {
			t.Errorf("parseOrders(%q) accepted", s)
		}
	}
}

// TestShellQuote: sh reads the quoted command line back as the words
// it was made of.
func TestShellQuote(t *testing.T) {
	argv := []string{"syz-executor", "-x", "a b", "it's", "", `$HOME\n"`, "*", "é", "k=v,w"}
	out, err := exec.Command("sh", "-c", `printf '%s\n' `+shellQuote(argv)).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(argv, "\n") + "\n"; string(out) != got {
		t.Errorf("sh read %q back as %q", shellQuote(argv), out)
	}
	if got := shellQuote([]string{"ls", "-l", "/tmp"}); got != "ls -l /tmp" {
		t.Errorf("plain words quoted: %q", got)
	}
}

func TestCheckKallsyms(t *testing.T) {
	for text, ok := range map[string]bool{
		"ffffffff81000000 T _text\nffffffff81001000 t vfs_write\n":         true,
		"0000000000000000 A fixed_percpu_data\nffffffff81000000 T _text\n": true,
		"0000000000000000 T _text\n0000000000000000 t vfs_write\n":         false,
		"": false,
	} {
		if err := checkKallsyms([]byte(text)); (err == nil) != ok {
			t.Errorf("checkKallsyms(%q) = %v", text, err)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		ns   []int64
		want int64
	}{{nil, 0}, {[]int64{5}, 5}, {[]int64{9, 1, 5}, 5}, {[]int64{8, 2, 4, 6}, 5}} {
		if got := median(c.ns); got != c.want {
			t.Errorf("median(%v) = %d, want %d", c.ns, got, c.want)
		}
	}
}
