// Package seeddataset ingests the RFC series' example sessions (package
// seedsession) into a dataset, as kdf ingest would, for the examples
// and tests that query one.
package seeddataset

import (
	"context"
	"path/filepath"

	"github.com/kdf-tools/kdf/internal/pipeline"
	"github.com/kdf-tools/kdf/internal/seedsession"
)

// Ingest writes the named sessions (all of them with no names) under
// dir/sessions and ingests them as campaign "seed" into dir/dataset,
// whose path it returns with what the ingest did.
func Ingest(ctx context.Context, dir string, names ...string) (string, *pipeline.Summary, error) {
	src, ds := filepath.Join(dir, "sessions"), filepath.Join(dir, "dataset")
	if err := seedsession.Write(src, names...); err != nil {
		return "", nil, err
	}
	sum, err := pipeline.Run(ctx, pipeline.Config{Dataset: ds, Campaign: "seed", Sources: []string{src}}, nil)
	return ds, sum, err
}
