package seedsession

import (
	"bytes"
	"testing"

	"github.com/kdf-tools/kdf/ingest"
)

func TestBuild(t *testing.T) {
	for _, name := range Names {
		t.Run(name, func(t *testing.T) {
			s, err := Build(name)
			if err != nil {
				t.Fatal(err)
			}
			d := ingest.NewDecoder(bytes.NewReader(s.Buffer), name, ingest.Options{})
			n := 0
			for d.Next() {
				n++
			}
			st := d.Stats()
			if d.Err() != nil || st.Layout != ingest.LayoutA || st.DamagedWords != 0 || st.Torn || st.Segments != 1 {
				t.Fatalf("decoding the rebuilt buffer: %v, %+v", d.Err(), st)
			}
			if want := map[string]int{"eight_args_c": 65, "eight_args_rust": 65, "rust_ffi_contract": 60}[name]; s.Window != want {
				t.Errorf("window holds %d records, the seed shows %d", s.Window, want)
			}
			if int(st.Records) <= s.Window {
				t.Errorf("%d records, no context around the window of %d", st.Records, s.Window)
			}
		})
	}
}
