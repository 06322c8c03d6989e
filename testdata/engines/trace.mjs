// trace.mjs TRACE: opens a trace kdf exported (kdf export perfetto)
// with the trace engine of Chrome DevTools' Performance panel, and
// prints as JSON the threads it found: their names and how many slices
// it placed on each, in the call tree it built of them.
import {analyzeTrace} from '@paulirish/trace_engine/analyze-trace.mjs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node trace.mjs TRACE');
  process.exit(2);
}
const {parsedTrace} = await analyzeTrace(file);
const threads = [];
for (const [pid, proc] of parsedTrace.data.Renderer.processes) {
  for (const [tid, t] of proc.threads) {
    threads.push({pid, tid, name: t.name ?? '', slices: t.entries.length, tree: Boolean(t.tree)});
  }
}
console.log(JSON.stringify({threads}));
