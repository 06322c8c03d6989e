package types

import (
	"os"
	"testing"
)

// FuzzParseBTF feeds arbitrary bytes to the BTF decoder, as a vmlinux's
// BTF and as a module's split BTF on top of the fixture's, and asks for
// every prototype it names: nothing may panic, loop or read out of
// bounds, whatever the bytes.
func FuzzParseBTF(f *testing.F) {
	base, err := os.ReadFile("testdata/fixture.btf")
	if err != nil {
		f.Fatal(err)
	}
	mod, err := os.ReadFile("testdata/fixture_mod.btf")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(base)
	f.Add(mod)
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxTypes: 1 << 16}
		if s, err := ParseBTF(data, "fuzz", lim); err == nil {
			protos(s, s.btf)
		}
		s, err := ParseBTF(base, "base", lim)
		if err != nil {
			t.Fatal(err)
		}
		if s.AddModuleBTF("m", data, "fuzz") == nil {
			protos(s, s.modules["m"].(*btfConv).f)
		}
	})
}

// protos reads every function of f and spells it.
func protos(s *Source, f *btfFile) {
	module := ""
	if f.base != nil {
		module = "m"
	}
	for name := range f.funcs {
		if p := s.Proto(module, name); p != nil {
			_ = p.String()
			for _, a := range p.Params {
				if a.Type.Enum != nil {
					a.Type.Enum.Lookup(1)
				}
			}
		}
	}
}
