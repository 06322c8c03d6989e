// Package examples holds buffers to try kdf on; this test keeps them
// what their generators make. `go test ./examples -update` rewrites them.
package examples

import (
	"path/filepath"
	"testing"

	"github.com/kdf-tools/kdf/internal/golden"
	"github.com/kdf-tools/kdf/internal/seedsession"
)

// TestSeedSessions: seed/NAME/ holds the RFC series' example session
// NAME as internal/seedsession rebuilds it, its buffer beside its
// kallsyms, as seedsession.Write lays them out.
func TestSeedSessions(t *testing.T) {
	for _, name := range seedsession.Names {
		s, err := seedsession.Build(name)
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, filepath.Join("seed", name, name+".kcdf"), s.Buffer)
		golden.Check(t, filepath.Join("seed", name, "kallsyms"), s.Kallsyms)
	}
}
