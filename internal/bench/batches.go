package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/internal/pipeline"
	"github.com/kdf-tools/kdf/schema"
	"github.com/kdf-tools/kdf/transform/symbolize"
)

// batches decodes, symbolizes and pairs a generated campaign into the
// Arrow batches of its records and calls tables, held in memory: the
// columns the encoding bound writes.
func batches(camp string) (map[string][]arrow.RecordBatch, error) {
	out := map[string][]arrow.RecordBatch{}
	p := pipeline.NewProcessor(memory.DefaultAllocator, 64<<10, func(t *schema.Table, rec arrow.RecordBatch) error {
		out[t.Name] = append(out[t.Name], rec)
		return nil
	})
	sysmap, err := table(filepath.Join(camp, "System.map"), symbolize.LoadSystemMap)
	if err != nil {
		return nil, err
	}
	err = filepath.WalkDir(camp, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".kcdf") {
			return err
		}
		kallsyms, err := table(filepath.Join(filepath.Dir(path), "kallsyms"), symbolize.LoadKallsyms)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		_, err = p.Process(&pipeline.Buffer{RunID: 1, Name: path, Data: data,
			Symbols: func(l ingest.Layout) *symbolize.Symbolizer {
				cfg := symbolize.Config{Runtime: kallsyms, LinkTime: sysmap, PCs: symbolize.PCSpaceOf(l)}
				s, _ := symbolize.New(cfg)
				return s
			}})
		return err
	})
	if err == nil {
		err = p.Flush() // the last rows, short of a batch
	}
	return out, err
}

var tables = map[string]*symbolize.Table{}

func table(path string, load func(string) (*symbolize.Table, error)) (*symbolize.Table, error) {
	if t, ok := tables[path]; ok {
		return t, nil
	}
	t, err := load(path)
	tables[path] = t
	return t, err
}
