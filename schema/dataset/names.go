package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kdf-tools/kdf/schema"
)

// maxCampaign bounds a campaign name: it becomes a path segment.
const maxCampaign = 200

// CheckCampaign reports whether name can be a campaign. Campaign names
// become the path segment campaign=NAME, read back by Hive-partitioning
// readers, so they are limited to ASCII letters, digits and -_.+@,~ (no
// '/', no "..", no NUL, no leading dot, nothing a reader would escape).
func CheckCampaign(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("dataset: empty campaign name")
	case len(name) > maxCampaign:
		return fmt.Errorf("dataset: campaign name of %d bytes: at most %d", len(name), maxCampaign)
	case name[0] == '.':
		return fmt.Errorf("dataset: campaign name %q starts with a dot", name)
	case strings.Contains(name, ".."):
		return fmt.Errorf("dataset: campaign name %q contains \"..\"", name)
	}
	for _, c := range []byte(name) {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("-_.+@,~", c) >= 0
		if !ok {
			return fmt.Errorf("dataset: campaign name %q contains %q: use ASCII letters, digits and -_.+@,~", name, c)
		}
	}
	return nil
}

// lookupTable returns the schema table called name.
func lookupTable(name string) (*schema.Table, error) {
	if t := schema.Lookup(name); t != nil {
		return t, nil
	}
	return nil, fmt.Errorf("dataset: no table %q", name)
}

// commitName is a commit number as the ledger and part names spell it:
// zero-padded, so that names sort in commit order.
func commitName(n int64) string { return fmt.Sprintf("%010d", n) }

// parseCommitName parses a ledger file name "<n><ext>".
func parseCommitName(name, ext string) (int64, bool) {
	digits, ok := strings.CutSuffix(name, ext)
	if !ok || len(digits) != 10 {
		return 0, false
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	return n, err == nil && n > 0
}

// partName is a committed part's file name: commit, writer and index
// make it unique without asking anyone.
func partName(n int64, writer string, k int) string {
	return fmt.Sprintf("part-%s-%s-%d.parquet", commitName(n), writer, k)
}

// partRef names a part relative to the dataset directory.
type partRef struct {
	Table    string `json:"table"`
	Campaign string `json:"campaign"`
	Name     string `json:"name"`
}

// rel is the part's path relative to the dataset directory.
func (p partRef) rel() string {
	return filepath.Join(p.Table, "campaign="+p.Campaign, p.Name)
}

// commit is the commit number in the part's name (0 if it has none).
func (p partRef) commit() int64 {
	n, _, ok := parsePartName(p.Name)
	if !ok {
		return 0
	}
	return n
}

// check validates a reference read from the ledger before recovery
// removes or readers skip what it names: a damaged or hostile ledger
// must not point outside the dataset.
func (p partRef) check() error {
	if _, err := lookupTable(p.Table); err != nil {
		return err
	}
	if err := CheckCampaign(p.Campaign); err != nil {
		return err
	}
	if _, _, ok := parsePartName(p.Name); !ok {
		return fmt.Errorf("dataset: %q is not a part name", p.Name)
	}
	return nil
}

// parsePartName parses part-<n>-<writer>-<k>.parquet.
func parsePartName(name string) (n int64, writer string, ok bool) {
	rest, ok := strings.CutPrefix(name, "part-")
	if !ok || len(rest) < 11 || rest[10] != '-' {
		return 0, "", false
	}
	n, ok = parseCommitName(rest[:10], "")
	if !ok {
		return 0, "", false
	}
	rest, ok = strings.CutSuffix(rest[11:], ".parquet")
	i := strings.LastIndexByte(rest, '-')
	if !ok || i <= 0 || strings.ContainsAny(rest, "/\x00") {
		return 0, "", false
	}
	if _, err := strconv.Atoi(rest[i+1:]); err != nil {
		return 0, "", false
	}
	return n, rest[:i], true
}

// mkdirWithin creates the directory rel under the dataset, one segment
// at a time, refusing any segment that is a symbolic link or not a
// directory: nothing is ever written through a link planted inside the
// dataset, so nothing is written outside it.
func (d *Dataset) mkdirWithin(rel string) (string, error) {
	p := d.root
	for _, seg := range strings.Split(filepath.Clean(rel), string(filepath.Separator)) {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("dataset: bad directory %q", rel)
		}
		p = filepath.Join(p, seg)
		err := os.Mkdir(p, 0o755)
		if err == nil {
			continue
		}
		st, lerr := os.Lstat(p)
		if lerr != nil {
			return "", fmt.Errorf("dataset: %w", err)
		}
		if !st.IsDir() {
			return "", fmt.Errorf("dataset: %s is not a directory (%s): refusing to write through it", p, st.Mode().Type())
		}
	}
	return p, nil
}
