package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// profiled marks a command whose run can be profiled with --cpuprofile
// and --memprofile, so that a user can send a profile with a report of
// a slow run. It is applied in the commands table, not in each
// command's file, so every profiled command shares one implementation.
func profiled(c *command) *command {
	c.profile = true
	return c
}

// profiles are the files --cpuprofile and --memprofile name.
type profiles struct {
	cpu, mem string
}

func (p *profiles) register(fs *flag.FlagSet) {
	fs.StringVar(&p.cpu, "cpuprofile", "", "write a CPU profile of the run to `FILE` (read it with go tool pprof FILE)")
	fs.StringVar(&p.mem, "memprofile", "", "write a memory profile of the run's allocations to `FILE` when it ends")
}

// start creates the profile files, so that a bad path fails before the
// run, starts the CPU profile, and returns what stops and writes them.
// Stopping also follows a failed or interrupted run: a profile of a
// slow run cut short with ^C is what a report needs.
func (p *profiles) start() (stop func() error, err error) {
	var cpu, mem *os.File
	closeAll := func() {
		for _, f := range []*os.File{cpu, mem} {
			if f != nil {
				f.Close()
			}
		}
	}
	if p.cpu != "" {
		if cpu, err = os.Create(p.cpu); err != nil {
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
	}
	if p.mem != "" {
		if mem, err = os.Create(p.mem); err != nil {
			closeAll()
			return nil, fmt.Errorf("--memprofile: %w", err)
		}
	}
	if cpu != nil {
		if err := pprof.StartCPUProfile(cpu); err != nil {
			closeAll()
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
	}
	return func() error {
		var errs []error
		if cpu != nil {
			pprof.StopCPUProfile()
			errs = append(errs, cpu.Close())
		}
		if mem != nil {
			runtime.GC() // the live heap as of the end, as go test -memprofile does
			errs = append(errs, pprof.Lookup("allocs").WriteTo(mem, 0), mem.Close())
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("writing the profiles: %w", err)
		}
		return nil
	}, nil
}
