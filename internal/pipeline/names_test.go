package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/internal/synth"
)

type namedRecord struct {
	RunID      int64    `parquet:"run_id"`
	Kind       string   `parquet:"kind"`
	Func       *string  `parquet:"func,optional"`
	Module     string   `parquet:"module"`
	ArgIdx     uint8    `parquet:"arg_idx"`
	Size       uint8    `parquet:"size"`
	Value      uint64   `parquet:"value"`
	Nvals      int32    `parquet:"nvals"`
	ArgName    *string  `parquet:"arg_name,optional"`
	ArgType    *string  `parquet:"arg_type,optional"`
	Signed     *bool    `parquet:"signed,optional"`
	ValueName  *string  `parquet:"value_name,optional"`
	FieldNames []string `parquet:"field_names,optional,list"`
}

type namedRun struct {
	RunID           int64   `parquet:"run_id"`
	Records         int64   `parquet:"records"`
	TypeSource      *string `parquet:"type_source,optional"`
	ProtoChecked    int64   `parquet:"proto_checked"`
	ProtoMismatches int64   `parquet:"proto_mismatches"`
	Named           bool    `parquet:"named"`
	Problems        *string `parquet:"problems,optional"`
}

type namedCall struct {
	Func     *string  `parquet:"func,optional"`
	Module   string   `parquet:"module"`
	Status   string   `parquet:"status"`
	Nargs    int32    `parquet:"nargs"`
	ArgNames []string `parquet:"arg_names,optional,list"`
	RetType  *string  `parquet:"ret_type,optional"`
}

func ingestNames(t *testing.T, cfg Config) ([]namedRun, []namedRecord, []namedCall) {
	t.Helper()
	cfg.Dataset, cfg.Campaign = filepath.Join(t.TempDir(), "ds"), "names"
	if _, err := Run(context.Background(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	return readTable[namedRun](t, cfg.Dataset, "runs"), readTable[namedRecord](t, cfg.Dataset, "records"),
		readTable[namedCall](t, cfg.Dataset, "calls")
}

func str(p *string) string {
	if p == nil {
		return "NULL"
	}
	return *p
}

// TestNames ingests a generated campaign with the BTF the generator
// wrote beside it: every record of an instrumented function is named
// as the synthetic kernel declares it, struct fields and enum values
// included, and every run's records agree with their prototypes.
func TestNames(t *testing.T) {
	cfg := synth.SmallConfig()
	k := synth.NewKernel(cfg.Seed, cfg.Kernel)
	runs, recs, calls := ingestNames(t, Config{Sources: []string{genCampaign(t, cfg)}})
	for _, r := range runs {
		if !r.Named || r.ProtoMismatches != 0 || str(r.TypeSource) != "campaign:btf/vmlinux" || (r.Records > 20 && r.ProtoChecked == 0) {
			t.Errorf("run %+v", r)
		}
	}
	pid := []string{"PIDTYPE_PID", "PIDTYPE_TGID", "PIDTYPE_PGID", "PIDTYPE_SID", "PIDTYPE_MAX"}
	named, enums, structs := 0, 0, 0
	for _, r := range recs {
		if r.Func == nil || r.Kind == "cmp" {
			continue
		}
		name := *r.Func
		if r.Module != "" {
			name = r.Module + ":" + name
		}
		fid, ok := k.Lookup(name)
		if !ok {
			if r.ArgType != nil {
				t.Errorf("%s, not instrumented, named %s", name, str(r.ArgType))
			}
			continue
		}
		f := &k.Funcs[fid]
		switch {
		case r.Kind == "entry" && (r.ArgName == nil || *r.ArgName != f.Args[r.ArgIdx].Name):
			t.Fatalf("%s arg %d named %s, want %s", name, r.ArgIdx, str(r.ArgName), f.Args[r.ArgIdx].Name)
		case r.ArgType == nil:
			t.Fatalf("%s %s %d has no type", name, r.Kind, r.ArgIdx)
		}
		named++
		if r.Kind != "entry" {
			continue
		}
		if st := f.Args[r.ArgIdx].Struct; st != nil && int(r.Nvals) == len(st.Fields) {
			structs++
			for i, fd := range st.Fields {
				if i >= len(r.FieldNames) || r.FieldNames[i] != fd.Name {
					t.Fatalf("%s arg %d fields %v, want %s at %d", name, r.ArgIdx, r.FieldNames, fd.Name, i)
				}
			}
		}
		if name == "__task_pid_nr_ns" && r.ArgIdx == 1 {
			enums++
			want := "NULL"
			if r.Value < 5 {
				want = pid[r.Value]
			}
			if str(r.ValueName) != want || *r.ArgType != "enum pid_type" || r.Signed == nil || *r.Signed {
				t.Errorf("pid_type %d named %s (%s), want %s", r.Value, str(r.ValueName), str(r.ArgType), want)
			}
		}
	}
	if named < 1000 || enums == 0 || structs < 50 {
		t.Errorf("only %d records named, %d enums, %d structs", named, enums, structs)
	}
	for _, c := range calls {
		if c.Func == nil || c.Func != nil && *c.Func != "vfs_write" || c.Status != "complete" {
			continue
		}
		if !slices.Equal(c.ArgNames, []string{"file", "buf", "count", "pos"}) || str(c.RetType) != "ssize_t" {
			t.Errorf("vfs_write call: %v %s", c.ArgNames, str(c.RetType))
		}
	}
}

// TestNamesRefused ingests the campaign with the types of another
// kernel (the types package's fixture, whose vfs_write takes another
// struct file): the runs whose records disagree too often get no names
// at all, and say why.
func TestNamesRefused(t *testing.T) {
	src := genCampaign(t, synth.SmallConfig())
	runs, recs, calls := ingestNames(t, Config{Sources: []string{src}, Types: "../../transform/types/testdata/fixture.btf"})
	refused := map[int64]bool{}
	for _, r := range runs {
		if r.ProtoMismatches*10 > r.ProtoChecked {
			refused[r.RunID] = true
			if r.Named || !strings.Contains(str(r.Problems), "disagree with their prototypes") {
				t.Errorf("run %+v", r)
			}
		}
	}
	if len(refused) == 0 {
		t.Fatal("no run refused its names")
	}
	for _, r := range recs {
		if refused[r.RunID] && (r.ArgName != nil || r.ArgType != nil || r.FieldNames != nil) {
			t.Fatalf("record of a refused run named: %+v", r)
		}
	}
	for _, c := range calls {
		if c.ArgNames != nil && c.Func != nil && *c.Func == "vfs_write" {
			t.Errorf("vfs_write named %v by the wrong types", c.ArgNames)
		}
	}
}

// TestNamesNone: without a type source nothing is named, and nothing
// fails.
func TestNamesNone(t *testing.T) {
	src := genCampaign(t, synth.SmallConfig())
	if err := os.RemoveAll(filepath.Join(src, "btf")); err != nil {
		t.Fatal(err)
	}
	runs, recs, _ := ingestNames(t, Config{Sources: []string{src}})
	for _, r := range runs {
		if r.Named || r.TypeSource != nil || r.ProtoChecked != 0 {
			t.Errorf("run %+v", r)
		}
	}
	for _, r := range recs {
		if r.ArgName != nil || r.ArgType != nil || r.Signed != nil {
			t.Fatalf("record named without types: %+v", r)
		}
	}
}

// TestNamesArrive: runs ingested before their type source arrived are
// ingested again, named, when a later ingest finds it; once named, a
// re-run skips them.
func TestNamesArrive(t *testing.T) {
	src := genCampaign(t, synth.SmallConfig())
	btf := filepath.Join(t.TempDir(), "btf")
	if err := os.Rename(filepath.Join(src, "btf"), btf); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Dataset: filepath.Join(t.TempDir(), "ds"), Campaign: "names", Sources: []string{src}}
	first, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if first.Unnamed != first.Runs {
		t.Fatalf("%d of %d runs named without types", first.Runs-first.Unnamed, first.Runs)
	}
	if err := os.Rename(btf, filepath.Join(src, "btf")); err != nil {
		t.Fatal(err)
	}
	second, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if second.Replaced != first.Runs || second.Unnamed != 0 {
		t.Errorf("types arrived: %d runs replaced, %d unnamed; want %d and 0", second.Replaced, second.Unnamed, first.Runs)
	}
	for _, r := range readTable[namedRun](t, cfg.Dataset, "runs") {
		if !r.Named {
			t.Errorf("run %+v", r)
		}
	}
	third, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if third.Runs != 0 || third.Skipped != first.Runs {
		t.Errorf("a re-run ingested %d runs and skipped %d", third.Runs, third.Skipped)
	}
}

// TestNamingDeterministic: whether a run is named depends on the run
// alone, not on which inputs its worker took before it: with types that
// disagree with some runs, batches of 1,000 rows and one worker or two,
// the same runs are named and the same records.
func TestNamingDeterministic(t *testing.T) {
	src := genCampaign(t, synth.SmallConfig())
	cfg := Config{Sources: []string{src}, Types: "../../transform/types/testdata/fixture.btf", BatchRows: 1000}
	var runs [2][]string
	var recs [2][]string
	for i, workers := range []int{1, 2} {
		cfg.Workers = workers
		rs, rec, _ := ingestNames(t, cfg)
		runs[i], recs[i] = lines(rs), lines(rec)
	}
	refused := 0
	for _, r := range runs[0] {
		if strings.Contains(r, "disagree") {
			refused++
		}
	}
	if refused == 0 || refused == len(runs[0]) {
		t.Fatalf("%d of %d runs refused their names: the case decides nothing", refused, len(runs[0]))
	}
	if !slices.Equal(runs[0], runs[1]) {
		t.Errorf("runs with one worker and two differ; first difference:\n%s", firstDiff(runs[0], runs[1]))
	}
	if !slices.Equal(recs[0], recs[1]) {
		t.Errorf("records with one worker and two differ; first difference:\n%s", firstDiff(recs[0], recs[1]))
	}
}
