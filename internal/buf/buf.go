// Package buf grows the slices that ingest reuses from batch to batch
// and page to page.
package buf

// Reserve returns s with room for n more elements. A slice that must
// grow doubles. append grows a large slice by about a quarter at a
// time, so filling one to its working size copies it about four times
// over and touches about five times its size in fresh memory; each
// worker does that once for every column it keeps, and on a virtual
// machine, where a page fault costs microseconds, that was a tenth of a
// small ingest.
func Reserve[S ~[]E, E any](s S, n int) S {
	if n <= cap(s)-len(s) {
		return s
	}
	return append(make(S, 0, max(2*cap(s), len(s)+n)), s...)
}

// Append is append(s, vs...), growing s as Reserve does.
func Append[S ~[]E, E any](s S, vs ...E) S {
	return append(Reserve(s, len(vs)), vs...)
}
