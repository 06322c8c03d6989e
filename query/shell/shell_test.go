package shell

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/internal/golden"
	"github.com/kdf-tools/kdf/internal/pipeline"
	"github.com/kdf-tools/kdf/internal/seedsession"
	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/query/table"
)

func seedDB(t *testing.T) *query.DB {
	t.Helper()
	src := filepath.Join(t.TempDir(), "seed")
	s, err := seedsession.Build("rust_ffi_contract")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(src, "ffi.kcdf"), s.Buffer, 0o644)
	os.WriteFile(filepath.Join(src, "kallsyms"), s.Kallsyms, 0o644)
	ds := filepath.Join(t.TempDir(), "ds")
	if _, err := pipeline.Run(context.Background(), pipeline.Config{Dataset: ds, Campaign: "seed", Sources: []string{src}}, nil); err != nil {
		t.Fatal(err)
	}
	db, err := query.Open(ds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// session is a script as a user would pipe it in: statements over
// several lines, two on one line, dot commands, mistakes.
const session = `.help
SELECT func, arg_idx, value
FROM args
WHERE func LIKE 'ffi%'
ORDER BY record_idx;
.format csv
SELECT count(*) AS calls FROM calls; SELECT errno_name(ret, ret_size) AS e FROM calls WHERE func = 'ffi_check_result';
.format md
SELECT 'a;b' AS "semi;colon" -- a comment ; with a semicolon
;
SELECT nope FROM calls;
.nope
.format table
.schema rets
SET VARIABLE answer = 42;
CREATE TEMP TABLE mine AS SELECT func FROM calls WHERE func LIKE 'ffi%';
SELECT getvariable('answer') AS answer, (SELECT count(*) FROM mine) AS mine;
.tables
SELECT 1 AS last_without_semicolon
`

func TestSession(t *testing.T) {
	db := seedDB(t)
	var out, errs bytes.Buffer
	s := &Shell{DB: db, In: strings.NewReader(session), Out: &out, Err: &errs, Format: table.Text}
	err := s.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "2 statements failed") {
		t.Errorf("Run = %v, want the two failures counted", err)
	}
	golden.Check(t, filepath.Join("testdata", "session.out"), out.Bytes())
	golden.Check(t, filepath.Join("testdata", "session.err"), errs.Bytes())
}

func TestQuitStops(t *testing.T) {
	db := seedDB(t)
	var out bytes.Buffer
	s := &Shell{DB: db, In: strings.NewReader("SELECT 1 AS a;\n.quit\nSELECT 2 AS b;\n"), Out: &out, Err: &out, Format: table.CSV, Prompt: true}
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "kdf> a\n1\nkdf> \n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

// TestSettingsBounded: a setting out of kdf's bounds is refused with
// the bound and not applied; the session goes on.
func TestSettingsBounded(t *testing.T) {
	db := seedDB(t)
	var out, errs bytes.Buffer
	in := "SET threads = 1;\nSET threads = 20000;\nSET memory_limit = '1KB';\nSELECT current_setting('threads') AS threads, current_setting('memory_limit') <> '1000 bytes' AS memory_kept;\n"
	s := &Shell{DB: db, In: strings.NewReader(in), Out: &out, Err: &errs, Format: table.CSV}
	if err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "2 statements failed") {
		t.Errorf("Run = %v, want the two refusals counted", err)
	}
	most := fmt.Sprintf("threads = 20000: kdf allows 1 to %d", query.MaxThreads())
	if e := errs.String(); !strings.Contains(e, most) || !strings.Contains(e, "memory_limit = '1KB': kdf allows 64MiB") {
		t.Errorf("errors:\n%s", e)
	}
	if got, want := out.String(), "Success\nthreads,memory_kept\n1,true\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}
