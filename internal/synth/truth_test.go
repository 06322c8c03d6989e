package synth

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/kdf-tools/kdf/ingest"
)

func mustRun(t testing.TB, b *Boot, w *Writer, cfg ProgramConfig) *Program {
	t.Helper()
	p, err := RunProgram(b, w, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p.Truth != nil {
		if err := p.Truth.CheckValid(p.Bytes); err != nil {
			t.Fatalf("seed %d: %v", cfg.Seed, err)
		}
		if p.Truth.Stats != p.Stats {
			t.Fatalf("seed %d: truth stats %+v, program stats %+v", cfg.Seed, p.Truth.Stats, p.Stats)
		}
	}
	return p
}

// TestProgramsTruthValid runs many hostile programs, reusing each writer
// so stale words pile up, and checks every truth against its dump.
func TestProgramsTruthValid(t *testing.T) {
	k := NewKernel(7, Options{Hostile: true})
	seen := map[string]int{}
	for _, l := range []ingest.Layout{ingest.LayoutA, ingest.LayoutB} {
		for bi, capacity := range []int{40, 600, 4096, 1 << 16} {
			b := k.Boot(bi)
			w, _ := NewWriter(l, capacity)
			for seed := range uint64(40) {
				p := mustRun(t, b, w, ProgramConfig{
					Seed: seed, Syscalls: 1 + int(seed%7), Compare: true, ForkProb: 0.15,
					Tear: seed%3 == 0, ResetAfterEnable: seed%2 == 0, Full: seed%4 == 0,
					ErrorRate: 0.15, FaultRate: 0.1, Truth: true,
				})
				tally(seen, p)
			}
		}
	}
	for _, f := range []string{"torn", "drops", "lost", "corrupt", "faults", "segments", "preret", "cmps",
		"stale", "saturated", "firstseq>1", "not entered", "not exited", "errno", "unreadable", "optimised"} {
		if seen[f] == 0 {
			t.Errorf("no program showed %s", f)
		}
	}
}

func tally(seen map[string]int, p *Program) {
	s := p.Stats
	for name, ok := range map[string]bool{
		"torn": s.Torn, "drops": s.Drops > 0, "lost": s.Lost > 0, "corrupt": s.CorruptHeaders > 0,
		"faults": s.Faults > 0, "segments": s.Segments > 1, "preret": s.PreRets > 0, "cmps": s.Cmps > 0,
		"stale": s.StaleWords > 0, "saturated": s.Saturated, "firstseq>1": s.FirstSeq > 1,
	} {
		seen[name] += btoi(ok)
	}
	for _, c := range p.Truth.Calls {
		seen["not entered"] += btoi(!c.Entered)
		seen["not exited"] += btoi(!c.Exited)
		seen["errno"] += btoi(c.Errno != 0)
	}
	for _, r := range p.Truth.Records {
		seen["unreadable"] += btoi(r.Unreadable)
		seen["optimised"] += btoi(r.OptimizedOut)
	}
}

func TestTruthDoesNotChangeBytes(t *testing.T) {
	k := NewKernel(3, Options{})
	for _, l := range []ingest.Layout{ingest.LayoutA, ingest.LayoutB} {
		cfg := ProgramConfig{Seed: 11, Syscalls: 6, Compare: true, ForkProb: 0.3, ErrorRate: 0.2, FaultRate: 0.1, Full: true}
		w1, _ := NewWriter(l, 2048)
		w2, _ := NewWriter(l, 2048)
		plain := mustRun(t, k.Boot(1), w1, cfg)
		cfg.Truth = true
		full := mustRun(t, k.Boot(1), w2, cfg)
		if !bytes.Equal(plain.Bytes, full.Bytes) || plain.Stats != full.Stats || plain.Text != full.Text {
			t.Errorf("layout %v: keeping the truth changed the program", l)
		}
	}
}

// TestSeedSessionValues checks values the seed's sessions show.
func TestSeedSessionValues(t *testing.T) {
	k := NewKernel(1, Options{})
	want := map[string]struct {
		args []uint64
		ret  uint64
	}{
		"eight_args_c:df_func2":              {[]uint64{0x11, 0x22}, 0x33},
		"eight_args_c:df_func8":              {[]uint64{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}, 0x264},
		"eight_args_rust:rdf_func3":          {[]uint64{0x11, 0x22, 0x33}, 0x66},
		"rust_ffi_contract:ffi_check_result": {nil, 0xfffffff2},
	}
	found := map[string]bool{}
	w, _ := NewWriter(ingest.LayoutA, 1<<16)
	for seed := uint64(0); seed < 300 && len(found) < len(want); seed++ {
		p := mustRun(t, k.Boot(0), w, ProgramConfig{Seed: seed, Syscalls: 8, Truth: true})
		for _, c := range p.Truth.Calls {
			name := k.QualifiedName(c.Func)
			wc, ok := want[name]
			if !ok || !c.Exited {
				continue
			}
			found[name] = true
			if c.Ret != wc.ret || (wc.args != nil && fmt.Sprint(c.Args) != fmt.Sprint(wc.args)) {
				t.Errorf("%s%x = %#x, want %x = %#x", name, c.Args, c.Ret, wc.args, wc.ret)
			}
			if name == "rust_ffi_contract:ffi_check_result" && c.Errno != -14 {
				t.Errorf("ffi_check_result errno %d, want -14", c.Errno)
			}
		}
		checkPreEntry(t, k, p.Truth)
	}
	if len(found) != len(want) {
		t.Errorf("found only %v", found)
	}
}

// checkPreEntry: a pre-entry RET carries the function's pc and comes
// right before the call's first ENTRY record.
func checkPreEntry(t *testing.T, k *Kernel, tr *Truth) {
	t.Helper()
	for ci, c := range tr.Calls {
		if c.PreRet < 0 || len(c.Entries) == 0 || c.Entries[0] < 0 {
			continue
		}
		pre, first := &tr.Records[c.PreRet], &tr.Records[c.Entries[0]]
		if c.Entries[0] != c.PreRet+1 || pre.PC != first.PC || !k.Funcs[c.Func].PreEntryRet || pre.Call != ci {
			t.Fatalf("call %d (%s): pre-entry RET %d, first entry %d", ci, k.Funcs[c.Func].Name, c.PreRet, c.Entries[0])
		}
	}
}

func TestForkSegments(t *testing.T) {
	k := NewKernel(2, Options{})
	w, _ := NewWriter(ingest.LayoutB, 1<<16)
	p := mustRun(t, k.Boot(0), w, ProgramConfig{Seed: 5, Syscalls: 4, ForkProb: 1, Truth: true})
	tr := p.Truth
	if len(tr.Segments) < 3 || p.Stats.Segments != len(tr.Segments) {
		t.Fatalf("%d segments (%d visible) after forks", len(tr.Segments), p.Stats.Segments)
	}
	for i, s := range tr.Segments {
		if s.End > s.First && tr.Records[s.First].Seq != 1 {
			t.Errorf("segment %d starts at seq %d", i, tr.Records[s.First].Seq)
		}
		if (i%2 == 1) != (s.Task > 0) {
			t.Errorf("segment %d belongs to task %d", i, s.Task)
		}
	}
	exit, _ := k.Lookup("do_exit")
	for _, c := range tr.Calls {
		if c.Func == exit && (c.Exited || !c.Entered) {
			t.Errorf("do_exit entered=%v exited=%v", c.Entered, c.Exited)
		}
	}
}

func TestResetAfterEnableLosesPrelude(t *testing.T) {
	k := NewKernel(2, Options{})
	w, _ := NewWriter(ingest.LayoutA, 4096)
	p := mustRun(t, k.Boot(0), w, ProgramConfig{Seed: 9, Syscalls: 2, ResetAfterEnable: true, Truth: true})
	if p.Stats.Lost == 0 || p.Stats.FirstSeq != uint32(p.Stats.Lost)+1 {
		t.Errorf("lost %d, first seq %d", p.Stats.Lost, p.Stats.FirstSeq)
	}
	p = mustRun(t, k.Boot(0), w, ProgramConfig{Seed: 9, Syscalls: 2, Truth: true})
	first := p.Truth.Records[0]
	if first.Seq != 1 || first.Kind != ingest.KindRet || p.Truth.Calls[first.Call].Entered {
		t.Errorf("first record %+v: want the ENABLE ioctl's RET without entry", first)
	}
}

func TestTornProgramLeavesOpenCalls(t *testing.T) {
	k := NewKernel(4, Options{})
	w, _ := NewWriter(ingest.LayoutA, 1<<14)
	p := mustRun(t, k.Boot(0), w, ProgramConfig{Seed: 2, Syscalls: 3, Tear: true, Truth: true})
	tr := p.Truth
	if tr.Torn == nil || !p.Stats.Torn {
		t.Fatal("no torn record")
	}
	for i := range tr.Torn.Words {
		if w.Area()[tr.Torn.Offset+i] != 0 {
			t.Fatalf("torn record word %d written", i)
		}
	}
	open := 0
	for _, c := range tr.Calls {
		open += btoi(!c.Exited)
	}
	if open == 0 {
		t.Error("no call left open by the tear")
	}
}

func TestByValueStructInLayoutB(t *testing.T) {
	k := NewKernel(1, Options{})
	fid, _ := k.Lookup("fdput_pos")
	w, _ := NewWriter(ingest.LayoutB, 1<<16)
	for seed := range uint64(50) {
		p := mustRun(t, k.Boot(0), w, ProgramConfig{Seed: seed, Syscalls: 4, Truth: true})
		for _, c := range p.Truth.Calls {
			if c.Func != fid || len(c.Entries) == 0 {
				continue
			}
			if len(c.Entries) != 2 {
				t.Fatalf("struct fd by value: %d ENTRY records, want 2", len(c.Entries))
			}
			for _, ri := range c.Entries {
				if r := p.Truth.Records[ri]; r.ArgIdx != 0 || r.Size != 8 || r.Word2 != 0 {
					t.Fatalf("register record %+v", r)
				}
			}
			return
		}
	}
	t.Fatal("no fdput_pos call")
}

func TestHostileHeaders(t *testing.T) {
	k := NewKernel(1, Options{Hostile: true})
	w, _ := NewWriter(ingest.LayoutA, 1<<16)
	for seed := range uint64(100) {
		p := mustRun(t, k.Boot(0), w, ProgramConfig{Seed: seed, Syscalls: 8, Truth: true})
		for _, r := range p.Truth.Records {
			if r.CorruptHeader && r.Kind == ingest.KindEntry {
				if r.Header>>28&0xF != 0xF {
					t.Fatalf("corrupt header %#x does not read as a RET", r.Header)
				}
				return
			}
		}
	}
	t.Fatal("no corrupt header in 100 hostile programs")
}

// TestRecordsMatchKernel decodes every record's words independently of
// the writer and compares them with the kernel model and the call.
func TestRecordsMatchKernel(t *testing.T) {
	k := NewKernel(9, Options{})
	for _, l := range []ingest.Layout{ingest.LayoutA, ingest.LayoutB} {
		b := k.Boot(2)
		w, _ := NewWriter(l, 1<<15)
		for seed := range uint64(30) {
			p := mustRun(t, b, w, ProgramConfig{Seed: seed, Syscalls: 5, Compare: true, ErrorRate: 0.2, FaultRate: 0.2, Truth: true})
			for i := range p.Truth.Records {
				if err := checkRecord(k, b, l, &p.Truth.Records[i]); err != nil {
					t.Fatalf("layout %v seed %d record %d: %v", l, seed, i, err)
				}
			}
		}
	}
}

func checkRecord(k *Kernel, b *Boot, l ingest.Layout, r *Record) error {
	f := &k.Funcs[r.Func]
	start := b.FuncAddr(r.Func)
	types := map[ingest.Kind]uint64{ingest.KindEntry: 0xE, ingest.KindRet: 0xF, ingest.KindCmp: 0xC}
	n := uint64(len(r.Values))
	if l == ingest.LayoutA {
		if r.PC != start || r.Header>>32 != 0 || r.Header>>28 != types[r.Kind] || r.Header>>24&0xF != n {
			return fmt.Errorf("A header %#x pc %#x for %s at %#x with %d values", r.Header, r.PC, f.Name, start, n)
		}
		if r.Word2&(1<<48-1) != r.Ptr&(1<<48-1) {
			return fmt.Errorf("meta %#x does not hold ptr %#x", r.Word2, r.Ptr)
		}
	} else {
		pc := start - b.KASLR()
		inside := r.Kind == ingest.KindCmp && r.PC > pc && r.PC < pc+f.Size
		if (r.PC != pc && !inside) || r.Header>>28&0xF != types[r.Kind] || r.Header>>32&0xFFFF != n || r.Header>>24&0xF != 0 {
			return fmt.Errorf("B header %#x pc %#x for %s at %#x", r.Header, r.PC, f.Name, pc)
		}
	}
	if r.Kind == ingest.KindEntry {
		a := &f.Args[r.ArgIdx]
		want := uint8(a.Size)
		if a.OptimizedOut && l == ingest.LayoutB {
			want = 0
		} else if a.Kind == StructByValue && l == ingest.LayoutB {
			want = 8
		}
		if r.Size != want {
			return fmt.Errorf("%s arg %d size %d, want %d", f.Name, r.ArgIdx, r.Size, want)
		}
	}
	if r.Fault {
		for _, v := range r.Values {
			if v != ingest.FaultMarker {
				return fmt.Errorf("fault record value %#x", v)
			}
		}
	}
	return nil
}

func TestCheckValidRejectsDamage(t *testing.T) {
	k := NewKernel(1, Options{})
	w, _ := NewWriter(ingest.LayoutA, 4096)
	p := mustRun(t, k.Boot(0), w, ProgramConfig{Seed: 1, Syscalls: 4, Truth: true})
	for name, dump := range map[string][]byte{
		"value flipped": func() []byte { d := bytes.Clone(p.Bytes); d[8*10] ^= 1; return d }(),
		"truncated":     p.Bytes[:len(p.Bytes)-8],
		"odd length":    p.Bytes[:len(p.Bytes)-3],
	} {
		if err := p.Truth.CheckValid(dump); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
