package query_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/kdf-tools/kdf/internal/seeddataset"
	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/query/table"
)

// A dataset ingested from the RFC series' eight_args_c session (as kdf
// ingest does: seeddataset.Ingest calls pipeline.Run), then the calls
// of its test module, selected with a SQL variable.
func ExampleDB_Query() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "kdf-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ds, sum, err := seeddataset.Ingest(ctx, dir, "eight_args_c")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("ingested %d run: %d records, %d calls\n\n", sum.Runs, sum.Records, sum.Calls)

	db, err := query.Open(ds)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	t, err := db.Query(ctx, `
		SELECT func, depth, status, nargs, ret
		FROM calls WHERE module = getvariable('module')
		ORDER BY call_id LIMIT 4`, query.Vars{"module": "eight_args_c"})
	if err != nil {
		log.Fatal(err)
	}
	if err := t.Write(os.Stdout, table.Text); err != nil {
		log.Fatal(err)
	}
	// Output:
	// ingested 1 run: 74 records, 18 calls
	//
	// func           depth  status    nargs   ret
	// -------------  -----  --------  -----  ----
	// trigger_write      4  complete      3   0x1
	// df_func2           5  complete      2  0x33
	// df_func3           5  complete      3  0x66
	// df_func4           5  complete      4  0xaa
}
