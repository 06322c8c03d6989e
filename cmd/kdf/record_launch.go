package main

import "github.com/kdf-tools/kdf/ingest/capture"

// kdf record starts kdf again as the launcher of the command it traces
// (package capture says why); such a process becomes the command here,
// before kdf starts anything else.
func init() { capture.Launch() }
