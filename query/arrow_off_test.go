//go:build !duckdb_arrow

package query

import (
	"context"
	"errors"
	"io"
	"testing"
)

// TestWriteArrowOff: without the build tag, Arrow output says how to
// get it.
func TestWriteArrowOff(t *testing.T) {
	db, _ := seedDB(t)
	if err := db.WriteArrow(context.Background(), "SELECT 1", nil, io.Discard); !errors.Is(err, ErrNoArrow) {
		t.Errorf("WriteArrow = %v, want ErrNoArrow", err)
	}
}
