package export

import "github.com/google/pprof/profile"

// coreModule names the core kernel's mapping and file in a profile,
// where kdf's tables have "".
const coreModule = "vmlinux"

// Profile returns the stacks as a pprof profile: one sample per stack,
// valued in records (what the leaf's calls wrote themselves; the
// default) and calls. Each frame is a function, with its module as its
// file name and as its mapping, and one location; the comments say
// where the profile came from.
func (s *Stacks) Profile(comments ...string) *profile.Profile {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{
			{Type: "records", Unit: "count"},
			{Type: "calls", Unit: "count"},
		},
		DefaultSampleType: "records",
		Comments:          comments,
	}
	mappings := s.mappings(p)
	locs := make([]*profile.Location, len(s.Frames))
	for i, f := range s.Frames {
		fn := &profile.Function{ID: uint64(i + 1), Name: f.Name, SystemName: f.Symbol, Filename: moduleName(f.Module)}
		locs[i] = &profile.Location{ID: uint64(i + 1), Mapping: mappings[f.Module], Line: []profile.Line{{Function: fn}}}
		p.Function = append(p.Function, fn)
	}
	p.Location = locs
	for _, st := range s.Stacks {
		sample := &profile.Sample{Value: []int64{st.Records, st.Calls}}
		for i := len(st.Frames) - 1; i >= 0; i-- { // pprof lists the leaf first
			sample.Location = append(sample.Location, locs[st.Frames[i]])
		}
		p.Sample = append(p.Sample, sample)
	}
	return p
}

// mappings adds a mapping per module to p. The core kernel, "", comes
// first, as frames are ordered by module, and pprof takes the first
// mapping for the main binary. The functions are in the profile, so
// pprof looks for no binary.
func (s *Stacks) mappings(p *profile.Profile) map[string]*profile.Mapping {
	byModule := map[string]*profile.Mapping{}
	for _, f := range s.Frames {
		if _, ok := byModule[f.Module]; ok {
			continue
		}
		m := &profile.Mapping{ID: uint64(len(p.Mapping) + 1), File: moduleName(f.Module), HasFunctions: true}
		p.Mapping = append(p.Mapping, m)
		byModule[f.Module] = m
	}
	return byModule
}

func moduleName(m string) string {
	if m == "" {
		return coreModule
	}
	return m
}
