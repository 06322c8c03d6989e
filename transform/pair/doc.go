// Package pair rebuilds calls from a buffer's ENTRY and RET records.
//
// The records carry no depth, task or time, so calls are rebuilt with a
// stack keyed on pc, per segment (a sequence number that goes down starts
// a new one):
//
//   - Consecutive ENTRY records of one pc form one call's arguments
//     while the argument index increases. An index that does not
//     increase starts a new call of the same function: direct recursion,
//     or back-to-back calls of a void function with nothing instrumented
//     inside. In layout B a struct passed by value in several registers
//     also repeats its index; the records cannot tell the two apart, so
//     a repeat is always read as a new call.
//   - A RET pops the innermost open call with its pc. Open calls above
//     it never returned (void functions, or records lost) and close as
//     no_return. A RET with no open call of its pc is a call with no
//     recorded entry (a function without arguments): no_entry.
//   - A RET immediately followed by an ENTRY of the same pc, while no
//     call of that pc is open, is the pre-entry return seen in real
//     buffers (docs/FORMAT.md, "The RET before the entry"): it is
//     linked to the call it precedes, marked PreRet, and closes nothing.
//     With a call of that pc open, it is that call's return (a function
//     called in a loop). A directly recursive call of a function showing
//     the pre-entry return cannot be told from a real return and is read
//     as one.
//   - Calls still open at the end of a segment close as truncated.
//
// Every call gets its parent, depth, status, arguments (with all struct
// fields), return value and the number of records inside it. The Pairer
// streams: records go in one at a time and calls come out as they close,
// so memory is bounded by the depth of the call stack.
package pair
