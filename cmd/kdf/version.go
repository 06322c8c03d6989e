package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

var versionCommand = &command{
	name:    "version",
	args:    "",
	summary: "print kdf's version: module version, source revision, whether the tree was modified (also kdf --version)",
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		return func(_ context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("%w: version takes no arguments", errUsage)
			}
			_, err := fmt.Fprintln(e.stdout, version())
			return err
		}
	},
}

// version says which kdf this is, from what the Go toolchain stamped
// into the binary: the module version (a tag, a pseudo-version, or
// "(devel)"), and the VCS revision, its time and whether the tree had
// uncommitted changes, when it was built inside a checkout without
// -buildvcs=false.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "kdf: no build information (built without module support), " + runtime.Version()
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	set := map[string]string{}
	for _, s := range bi.Settings {
		set[s.Key] = s.Value
	}
	var parts []string
	switch rev := set["vcs.revision"]; {
	case rev == "":
		parts = append(parts, "revision unknown (built without VCS information)")
	case set["vcs.modified"] == "true":
		parts = append(parts, "revision "+rev+" "+set["vcs.time"]+", modified")
	default:
		parts = append(parts, "revision "+rev+" "+set["vcs.time"])
	}
	parts = append(parts, bi.GoVersion)
	return "kdf " + v + ", " + strings.Join(parts, ", ")
}
