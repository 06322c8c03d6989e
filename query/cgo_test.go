package query

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestDuckDBStaysInQuery keeps the package documentation's claim true:
// the DuckDB binding, kdf's one use of cgo, is linked only through this
// package, by the packages listed there.
func TestDuckDBStaysInQuery(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	const module = "github.com/kdf-tools/kdf/"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}|{{join .Imports " "}}|{{join .Deps " "}}`, module+"...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	var importers, linkers []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		pkg := strings.TrimPrefix(f[0], module)
		if slices.ContainsFunc(strings.Fields(f[1]), isDuckDB) {
			importers = append(importers, pkg)
		}
		if slices.ContainsFunc(strings.Fields(f[2]), isDuckDB) {
			linkers = append(linkers, pkg)
		}
	}
	want := []string{"cmd/kdf", "internal/bench", "query", "query/export", "query/report", "query/shell"}
	if !slices.Equal(linkers, want) || !slices.Equal(importers, []string{"query"}) {
		t.Errorf("packages linking DuckDB: %v, through their own import: %v; the package documentation says %v, through query alone", linkers, importers, want)
	}
}

func isDuckDB(path string) bool { return strings.HasPrefix(path, "github.com/duckdb/") }
