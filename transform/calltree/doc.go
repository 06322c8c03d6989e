// Package calltree prints one buffer's records as the call tree kdf
// tree shows: `f(args)` on entry and `ret = f()` on return, indented by
// the depth that package pair rebuilt, struct arguments with all their
// fields, error returns with their errno names, and a return written
// just before its own function's entry marked `# before entry`.
//
// PrintRaw prints one line per record in the layout of the RFC series'
// trigger-view.py --raw, so that scripts written against it keep
// working; Select keeps a module's records and N records of context
// around each, as trigger-view.py's -C does.
package calltree
