package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"

	"golang.org/x/sys/unix"

	"github.com/kdf-tools/kdf/schema"
)

const (
	// Format is kdf.json's "format" value.
	Format = "kdf-dataset"
	// Version is the dataset layout version this package reads and
	// writes: the directory layout, the ledger and its commit protocol.
	Version = 2

	metaName   = "kdf.json"
	ledgerDir  = "_ledger"
	tmpDir     = "_tmp"
	maxMetaLen = 1 << 20
)

// Meta is the content of kdf.json.
type Meta struct {
	Format         string   `json:"format"`
	DatasetVersion int      `json:"dataset_version"`
	SchemaVersion  int      `json:"schema_version"`
	Writer         string   `json:"writer"`
	Tables         []string `json:"tables"`
}

// Dataset is an open dataset directory. Its methods are safe for
// concurrent use; writers in other processes are excluded by file locks.
type Dataset struct {
	root string // absolute, symbolic links resolved
	meta Meta

	hooks hooks // fault injection for tests; zero in production
}

// Open opens an existing dataset for reading; NewWriter makes it
// writable. It refuses a directory without kdf.json, or whose kdf.json
// has another format or a version newer than this package knows.
func Open(dir string) (*Dataset, error) {
	root, err := resolve(dir)
	if err != nil {
		return nil, err
	}
	meta, err := readMeta(root)
	if err != nil {
		return nil, err
	}
	return &Dataset{root: root, meta: meta}, nil
}

// Create makes dir a new, empty dataset, creating dir if needed. On an
// existing dataset it is Open; it refuses a non-empty directory that is
// not a dataset, so that a mistyped -o never mixes parts into unrelated
// files. Concurrent Creates of one directory are serialised by a lock on
// the directory itself.
func Create(dir string) (*Dataset, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("dataset: creating %s: %w", dir, err)
	}
	root, err := resolve(dir)
	if err != nil {
		return nil, err
	}
	df, err := os.Open(root)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer df.Close()
	if err := unix.Flock(int(df.Fd()), unix.LOCK_EX); err != nil {
		return nil, fmt.Errorf("dataset: locking %s: %w", root, err)
	}
	if _, err := os.Lstat(filepath.Join(root, metaName)); err == nil {
		return Open(root)
	}
	if err := checkEmpty(df); err != nil {
		return nil, err
	}
	meta := Meta{Format: Format, DatasetVersion: Version, SchemaVersion: schema.Version, Writer: writerName()}
	for _, t := range schema.All {
		meta.Tables = append(meta.Tables, t.Name)
	}
	for _, sub := range []string{ledgerDir, tmpDir} {
		if err := os.Mkdir(filepath.Join(root, sub), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("dataset: %w", err)
		}
	}
	// kdf.json goes last: a directory that has it is a complete dataset.
	if err := writeMeta(root, meta); err != nil {
		return nil, err
	}
	return &Dataset{root: root, meta: meta}, nil
}

// Dir returns the dataset's directory: absolute, symbolic links resolved.
func (d *Dataset) Dir() string { return d.root }

// Meta returns the content of the dataset's kdf.json.
func (d *Dataset) Meta() Meta { return d.meta }

func resolve(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("dataset: %w", err)
	}
	root, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("dataset: %w", err)
	}
	st, err := os.Stat(root)
	if err != nil {
		return "", fmt.Errorf("dataset: %w", err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("dataset: %s is not a directory", dir)
	}
	return root, nil
}

func readMeta(root string) (Meta, error) {
	name := filepath.Join(root, metaName)
	st, err := os.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return Meta{}, fmt.Errorf("dataset: %s is not a kdf dataset: it has no %s (create one with kdf ingest -o)", root, metaName)
	}
	if err != nil {
		return Meta{}, fmt.Errorf("dataset: %w", err)
	}
	if !st.Mode().IsRegular() || st.Size() > maxMetaLen {
		return Meta{}, fmt.Errorf("dataset: %s is not a regular file of at most %d bytes", name, maxMetaLen)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return Meta{}, fmt.Errorf("dataset: %w", err)
	}
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return Meta{}, fmt.Errorf("dataset: %s is damaged: %w", name, err)
	}
	return m, m.check(name)
}

// check refuses what this package cannot read. An older schema version
// is readable; writing into it is refused by NewWriter.
func (m Meta) check(name string) error {
	switch {
	case m.Format != Format:
		return fmt.Errorf("dataset: %s has format %q, not %q: not a kdf dataset", name, m.Format, Format)
	case m.DatasetVersion == 1:
		return fmt.Errorf("dataset: %s has dataset version 1, whose runs are keyed by content and whose ledger other engines cannot read; this kdf reads version %d: ingest the campaign again into a new dataset", name, Version)
	case m.DatasetVersion < 1 || m.DatasetVersion > Version:
		return fmt.Errorf("dataset: %s has dataset version %d; this kdf reads version %d: use the kdf that wrote it, or a newer one", name, m.DatasetVersion, Version)
	case m.SchemaVersion > schema.Version:
		return fmt.Errorf("dataset: %s has schema version %d, newer than this kdf's %d: upgrade kdf", name, m.SchemaVersion, schema.Version)
	}
	return nil
}

func writeMeta(root string, m Meta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	b = append(b, '\n')
	tmp := filepath.Join(root, tmpDir, metaName)
	os.Remove(tmp) // left by an interrupted Create
	if err := writeFileSync(tmp, b); err != nil {
		return err
	}
	final := filepath.Join(root, metaName)
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	return syncDir(root)
}

// checkEmpty refuses a directory with anything but what an interrupted
// Create leaves (_ledger and _tmp, before kdf.json was written).
func checkEmpty(df *os.File) error {
	names, err := df.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("dataset: reading %s: %w", df.Name(), err)
	}
	for _, n := range names {
		if n != ledgerDir && n != tmpDir {
			return fmt.Errorf("dataset: %s is not empty and is not a kdf dataset (no %s, but %q): give a new or empty directory", df.Name(), metaName, n)
		}
	}
	return nil
}

// writerName is "kdf <version>" from the build information.
func writerName() string {
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	return "kdf " + v
}

// writeFileSync creates name (which must not exist), writes b and syncs.
func writeFileSync(name string, b []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	_, err = io.Copy(f, bytes.NewReader(b))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("dataset: writing %s: %w", name, err)
	}
	return nil
}

// syncDir makes the directory's entries (renames, creations, removals)
// durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("dataset: syncing directory: %w", err)
	}
	err = f.Sync()
	f.Close()
	if err != nil {
		return fmt.Errorf("dataset: syncing directory %s: %w", dir, err)
	}
	return nil
}
