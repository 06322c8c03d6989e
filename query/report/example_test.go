package report_test

import (
	"context"
	"log"
	"os"

	"github.com/kdf-tools/kdf/internal/seeddataset"
	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/query/report"
	"github.com/kdf-tools/kdf/query/table"
)

// The pairs report over the RFC series' FFI contract session: per
// function of its module, how calls paired and which errnos they
// returned. Parameters are given as kdf report's flags give them.
func ExampleReport_Run() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "kdf-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ds, _, err := seeddataset.Ingest(ctx, dir, "rust_ffi_contract")
	if err != nil {
		log.Fatal(err)
	}
	db, err := query.Open(ds)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	pairs, err := report.Lookup("pairs")
	if err != nil {
		log.Fatal(err)
	}
	vars, err := pairs.Vars(map[string]string{"module": "rust_ffi_contract", "top": "1"})
	if err != nil {
		log.Fatal(err)
	}
	t, err := pairs.Run(ctx, db, vars)
	if err != nil {
		log.Fatal(err)
	}
	// The report has 16 columns; keep five of them.
	narrow := &table.Table{}
	keep := []int{t.Index("function"), t.Index("calls"), t.Index("error_share"), t.Index("top_errnos"), t.Index("top_rets")}
	for _, i := range keep {
		narrow.Columns = append(narrow.Columns, t.Columns[i])
	}
	for _, row := range t.Rows {
		vals := make([]any, len(keep))
		for j, i := range keep {
			vals[j] = row[i]
		}
		narrow.Add(vals...)
	}
	if err := narrow.Write(os.Stdout, table.Text); err != nil {
		log.Fatal(err)
	}
	// Output:
	// function                calls  error_share  top_errnos  top_rets
	// ----------------------  -----  -----------  ----------  ------------
	// ffi_alloc_buf               1         0.0%  []          [0x0]
	// ffi_check_result            1       100.0%  [EFAULT]    [0xfffffff2]
	// rust_ffi_trigger_write      1         0.0%  []          [0x1]
}
