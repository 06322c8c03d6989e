package query

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/schema"
	"github.com/kdf-tools/kdf/schema/dataset"
	"github.com/kdf-tools/kdf/transform/errno"

	"github.com/kdf-tools/kdf/internal/readback"
	"github.com/kdf-tools/kdf/internal/synth"
)

// decoded is what the decoder finds in one buffer, summed.
type decoded struct {
	records, entries, rets, cmps, rawErrors int64
	value, entryWords, entrySigned          *big.Int
}

func (d decoded) String() string {
	return fmt.Sprintf("records=%d entries=%d rets=%d cmps=%d errors=%d value=%v entry_words=%v entry_signed=%v",
		d.records, d.entries, d.rets, d.cmps, d.rawErrors, d.value, d.entryWords, d.entrySigned)
}

// decodeAll decodes every buffer under src, keyed by content hash.
func decodeAll(t *testing.T, src string) map[string]decoded {
	t.Helper()
	out := map[string]decoded{}
	err := filepath.WalkDir(src, func(p string, de fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(p, ".kcdf") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[hex.EncodeToString(sum[:])] = decode(b, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func decode(b []byte, name string) decoded {
	d := decoded{value: new(big.Int), entryWords: new(big.Int), entrySigned: new(big.Int)}
	dec := ingest.NewDecoder(bytes.NewReader(b), name, ingest.Options{Size: int64(len(b))})
	for dec.Next() {
		r := dec.Record()
		d.records++
		d.value.Add(d.value, new(big.Int).SetUint64(r.Values[0]))
		switch r.Kind {
		case ingest.KindEntry:
			d.entries++
			d.entrySigned.Add(d.entrySigned, big.NewInt(errno.SignExtend(r.Values[0], r.Size)))
			for _, v := range r.Values {
				d.entryWords.Add(d.entryWords, new(big.Int).SetUint64(v))
			}
		case ingest.KindRet:
			d.rets++
			if _, ok := errno.Of(r.Values[0], r.Size); ok {
				d.rawErrors++
			}
		case ingest.KindCmp:
			d.cmps++
		}
	}
	return d
}

// viewSums computes the same sums through the views, by run content.
const viewSums = `
WITH rec AS (
  SELECT run_id, count(*) AS records,
         count(*) FILTER (kind IN ('ret', 'pre_ret')) AS rets,
         count(*) FILTER (kind = 'cmp') AS cmps,
         count(errno_of(value, size)) FILTER (kind IN ('ret', 'pre_ret')) AS errors,
         sum(value) AS value
  FROM records GROUP BY run_id),
a AS (SELECT run_id, count(*) AS entries, sum(value_s) AS signed FROM args GROUP BY run_id),
f AS (SELECT run_id, sum(field_value) AS words FROM arg_fields GROUP BY run_id)
SELECT r.sha256, rec.records, coalesce(a.entries, 0), rec.rets, rec.cmps, rec.errors,
       rec.value, coalesce(f.words, 0), coalesce(a.signed, 0)
FROM runs r JOIN rec USING (run_id) LEFT JOIN a USING (run_id) LEFT JOIN f USING (run_id)`

// TestViewsMatchDecoder checks, run by run, that the views hold exactly
// the records the decoder reads from each buffer of a generated
// campaign: counts by kind, sums of value words, of every struct field,
// of values sign-extended by sext, and the number of errno returns.
func TestViewsMatchDecoder(t *testing.T) {
	src := writeCampaign(t, synth.SmallConfig())
	ds := filepath.Join(t.TempDir(), "ds")
	sum := ingestInto(t, ds, "gen", false, src)
	want := decodeAll(t, src)
	db := open(t, ds)
	tab, err := db.Query(context.Background(), viewSums, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]decoded{}
	for _, r := range tab.Rows {
		got[r[0].(string)] = decoded{records: r[1].(int64), entries: r[2].(int64), rets: r[3].(int64), cmps: r[4].(int64),
			rawErrors: r[5].(int64), value: bigOf(r[6]), entryWords: bigOf(r[7]), entrySigned: bigOf(r[8])}
	}
	if len(want) != int(sum.Runs) {
		t.Fatalf("decoded %d buffers, ingest made %d runs", len(want), sum.Runs)
	}
	for sha, w := range want {
		if g, ok := got[sha]; !ok && w.records > 0 || ok && g.String() != w.String() {
			t.Errorf("run %s:\n views  %v\n decoder %v", sha[:12], g, w)
		}
	}
	if n := scalar(t, db, "SELECT count(*) FROM calls"); n != sum.Calls {
		t.Errorf("calls view has %v rows, ingest made %d calls", n, sum.Calls)
	}
	if n := scalar(t, db, "SELECT count(*) FROM rets"); n != scalar(t, db, "SELECT sum(rets - pre_rets)::BIGINT FROM runs") {
		t.Errorf("rets view has %v rows, runs count %v returns that are not pre-entry", n, scalar(t, db, "SELECT sum(rets - pre_rets) FROM runs"))
	}
}

func bigOf(v any) *big.Int {
	if b, ok := v.(*big.Int); ok {
		return b
	}
	return new(big.Int)
}

// TestViewTypes checks that every table's view has the schema's columns
// and types, then campaign and dataset, whether the table has parts or
// not.
func TestViewTypes(t *testing.T) {
	full := filepath.Join(t.TempDir(), "full")
	ingestInto(t, full, "seed", false, writeSeedSessions(t))
	empty := filepath.Join(t.TempDir(), "empty")
	if _, err := dataset.Create(empty); err != nil {
		t.Fatal(err)
	}
	for _, ds := range []string{full, empty} {
		db := open(t, ds)
		for _, tab := range schema.All {
			var want []string
			for _, c := range tab.Columns {
				want = append(want, c.Name+" "+duckType(c.Type))
			}
			if !hasCampaign(tab) {
				want = append(want, "campaign VARCHAR")
			}
			want = append(want, "dataset VARCHAR")
			res, err := db.Query(context.Background(), "SELECT column_name || ' ' || column_type FROM (DESCRIBE "+tab.Name+")", nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range res.Rows {
				got = append(got, r[0].(string))
			}
			if strings.Join(got, ", ") != strings.Join(want, ", ") {
				t.Errorf("%s: view %s:\n got %s\nwant %s", filepath.Base(ds), tab.Name, strings.Join(got, ", "), strings.Join(want, ", "))
			}
		}
	}
}

// TestForcedRowsReplaced re-ingests one buffer with force: the parts
// that held its rows are rewritten without them, so the views, and a
// plain read of every part in the directory, see each run once.
func TestForcedRowsReplaced(t *testing.T) {
	src := writeCampaign(t, synth.SmallConfig())
	ds := filepath.Join(t.TempDir(), "ds")
	first := ingestInto(t, ds, "gen", false, src)
	forced := ingestInto(t, ds, "gen", true, src)
	if forced.Replaced != first.Runs {
		t.Fatalf("--force replaced %d runs, want %d", forced.Replaced, first.Runs)
	}
	db := open(t, ds)
	for table, want := range map[string]int64{"runs": first.Runs, "records": first.Records, "calls": first.Calls} {
		if n := scalar(t, db, "SELECT count(*) FROM "+table); n != want {
			t.Errorf("%s view has %v rows, want %d", table, n, want)
		}
		plain := scalar(t, db, "SELECT count(*) FROM read_parquet("+listOf(readback.Parts(t, ds, table))+")")
		if plain != want {
			t.Errorf("%s parts hold %v rows, want %d", table, plain, want)
		}
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestCampaigns: the campaign column comes from the partition path.
func TestCampaigns(t *testing.T) {
	ds := filepath.Join(t.TempDir(), "ds")
	gen := ingestInto(t, ds, "2024", false, writeCampaign(t, synth.SmallConfig()))
	seed := ingestInto(t, ds, "seed", false, writeSeedSessions(t))
	db := open(t, ds)
	tab, err := db.Query(context.Background(), "SELECT campaign, count(*) FROM records GROUP BY ALL ORDER BY ALL", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(tab.Rows)
	if want := fmt.Sprint([][]any{{"2024", gen.Records}, {"seed", seed.Records}}); got != want {
		t.Errorf("records by campaign: got %s, want %s", got, want)
	}
	for _, v := range []string{"runs", "calls", "args", "rets", "functions"} {
		if n := scalar(t, db, "SELECT count(DISTINCT campaign) FROM "+v); n != int64(2) {
			t.Errorf("%s has %v campaigns, want 2", v, n)
		}
	}
}

// TestFunctionsDeduplicated: runs of many commits use the same
// symbols; the functions parts hold each once.
func TestFunctionsDeduplicated(t *testing.T) {
	ds := filepath.Join(t.TempDir(), "ds")
	src := writeCampaign(t, synth.SmallConfig())
	ingestInto(t, ds, "gen", false, src)
	ingestInto(t, ds, "gen", true, src) // every run again, in new commits
	parts := readback.Parts(t, ds, "functions")
	db := open(t, ds)
	raw := scalar(t, db, "SELECT count(*) FROM read_parquet("+listOf(parts)+")").(int64)
	view := scalar(t, db, "SELECT count(*) FROM functions").(int64)
	distinct := scalar(t, db, "SELECT count(*) FROM (SELECT DISTINCT * FROM read_parquet("+listOf(parts)+"))").(int64)
	if view != distinct || raw != view || view == 0 {
		t.Errorf("functions: %d rows in the parts, %d distinct, %d in the view", raw, distinct, view)
	}
}

func listOf(paths []string) string {
	q := make([]string, len(paths))
	for i, p := range paths {
		q[i] = literal(p)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// TestDocumented: the package documentation names every view and
// macro Open creates, and each embedded one has its own doc comment.
func TestDocumented(t *testing.T) {
	db, _ := seedDB(t)
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range db.Definitions() {
		if !strings.Contains(string(doc), d.Name) {
			t.Errorf("doc.go does not mention %s %s", d.Kind, d.Name)
		}
		if !strings.HasPrefix(d.Doc, d.Name) && d.Kind != "view" || d.Doc == "" {
			t.Errorf("%s %s: its doc comment should start with its name: %q", d.Kind, d.Name, d.Doc)
		}
	}
}
