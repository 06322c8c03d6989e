package ingest

// UpdateDocs reports whether the tests run with -update, for the
// external tests that keep docs/FORMAT.md's examples decoded.
func UpdateDocs() bool { return *update }
