-- fields: how a struct changed between two reads of it, one row per
-- function, struct argument (or struct return value) and field, for
-- the structs read again later in their run.
--
-- What the buffers can say. kcov_dataflow writes a struct's fields when
-- a function is entered with a pointer to it (an ENTRY record, one word
-- per field) and when a function returns a pointer to one (its RET);
-- it writes nothing of an argument when the function returns, so the
-- fields "at return" of an argument are not in the data. What is: the
-- next time the same struct is read in the same run, by a callee the
-- call passes the pointer to (inside the call: what the call did to it
-- before passing it on) or by a later call (after it: what the call and
-- whatever ran in between did). A struct is known by its address
-- (records.addr), its number of fields and, where a type source named
-- the run, its type; an address used again for another object of the
-- same shape (a stack slot after its frame returned, memory freed and
-- allocated again) reads as the same struct. Reads of a NULL pointer
-- (address 0), of a struct passed by value in registers (layout B) and
-- of an ERR_PTR (every field the fault marker) are left out.
--
--   module, function  the function given (or returning) the struct
--   read              entry: its argument; ret: its return value
--   arg_idx           the argument's index (NULL for a return)
--   arg_name          the parameter's name, from the type source
--   field_idx         the field's index in the struct, from 0
--   field_name        its name, from the type source
--   reads             reads of the struct by the function (entries of
--                     the argument, or returns)
--   reread            of those, the ones read again later in the run
--   inside            re-reads by a call nested in the function's call,
--                     before it returned
--   changed           re-reads where the field's value differs
--   changed_share     changed / reread
--   top_changes       the most common changes, 'before->after' in hex,
--   top_change_shares and each one's share of the changes
--   next_readers      the functions that read the struct next, most
--                     common first
--
-- Variables (SET VARIABLE name = ...; unset or NULL: no filter):
--   func      glob over the function's name or demangled name
--   module    a module, '' for the core kernel
--   campaign  a campaign
--   arg       an argument index (from 0)
--   top       how many changes and readers to list (default 5)

WITH reads AS (
  SELECT campaign, run_id, idx, call_id, kind, module, func, demangled,
         CASE WHEN kind = 'entry' THEN arg_idx END AS arg_idx,
         CASE WHEN kind = 'entry' THEN arg_name END AS arg_name,
         addr, nvals, fields, field_names,
         regexp_replace(arg_type, '^(const )?(.*?)( \*)?$', '\2') AS struct_type
  FROM records
  WHERE kind IN ('entry', 'ret') AND nvals > 1 AND addr <> 0
    AND len(list_filter(fields, lambda v: NOT is_fault(v))) > 0
    AND (getvariable('campaign') IS NULL OR campaign = getvariable('campaign'))
),
pairs AS (
  SELECT *,
         lead(idx) OVER next AS next_idx, lead(fields) OVER next AS next_fields,
         lead(demangled) OVER next AS next_reader
  FROM reads
  WINDOW next AS (PARTITION BY campaign, run_id, addr, nvals, struct_type ORDER BY idx)
),
mine AS (
  -- the reads of the functions and arguments asked about, with the end
  -- of the call each was read in
  SELECT p.*, CASE WHEN p.kind = 'entry' THEN c.last_record END AS call_end
  FROM pairs p
  LEFT JOIN calls c ON c.run_id = p.run_id AND c.call_id = p.call_id
  WHERE (getvariable('func') IS NULL OR p.func GLOB getvariable('func') OR p.demangled GLOB getvariable('func'))
    AND (getvariable('module') IS NULL OR p.module = getvariable('module'))
    AND (getvariable('arg') IS NULL OR p.arg_idx = getvariable('arg'))
),
per_field AS (
  SELECT m.module, m.func, m.demangled, m.kind, m.arg_idx, m.arg_name, f.i AS field_idx,
         m.field_names[f.i + 1] AS field_name, m.next_idx, m.next_idx <= m.call_end AS inside,
         m.fields[f.i + 1] AS before, m.next_fields[f.i + 1] AS after, m.next_reader
  FROM mine m, range(m.nvals) AS f(i)
),
totals AS (
  SELECT module, func, kind, arg_idx, field_idx,
         any_value(demangled) AS demangled, min(arg_name) AS arg_name, min(field_name) AS field_name,
         count(*) AS reads, count(next_idx) AS reread,
         count(*) FILTER (WHERE inside) AS inside,
         count(*) FILTER (WHERE next_idx IS NOT NULL AND before IS DISTINCT FROM after) AS changed
  FROM per_field
  GROUP BY ALL
),
changes AS (
  SELECT module, func, kind, arg_idx, field_idx,
         list(change ORDER BY rank) AS top_changes, list(share ORDER BY rank) AS top_change_shares
  FROM (
    SELECT *, n / sum(n) OVER k AS share,
           row_number() OVER (PARTITION BY module, func, kind, arg_idx, field_idx ORDER BY n DESC, change) AS rank
    FROM (
      SELECT module, func, kind, arg_idx, field_idx, hexv(before) || '->' || hexv(after) AS change, count(*) AS n
      FROM per_field
      WHERE next_idx IS NOT NULL AND before IS DISTINCT FROM after
      GROUP BY ALL
    )
    WINDOW k AS (PARTITION BY module, func, kind, arg_idx, field_idx)
  )
  WHERE rank <= coalesce(getvariable('top'), 5)
  GROUP BY ALL
),
readers AS (
  SELECT module, func, kind, arg_idx, field_idx, list(next_reader ORDER BY rank) AS next_readers
  FROM (
    SELECT *, row_number() OVER (PARTITION BY module, func, kind, arg_idx, field_idx ORDER BY n DESC, next_reader) AS rank
    FROM (
      SELECT module, func, kind, arg_idx, field_idx, coalesce(next_reader, '?') AS next_reader, count(*) AS n
      FROM per_field
      WHERE next_idx IS NOT NULL
      GROUP BY ALL
    )
  )
  WHERE rank <= coalesce(getvariable('top'), 5)
  GROUP BY ALL
)
SELECT t.module, t.demangled AS function, t.kind AS read, t.arg_idx, t.arg_name, t.field_idx, t.field_name,
       t.reads, t.reread, t.inside, t.changed, t.changed / nullif(t.reread, 0) AS changed_share,
       coalesce(c.top_changes, []) AS top_changes, coalesce(c.top_change_shares, []) AS top_change_shares,
       coalesce(r.next_readers, []) AS next_readers
FROM totals t
LEFT JOIN changes c USING (module, func, kind, arg_idx, field_idx)
LEFT JOIN readers r USING (module, func, kind, arg_idx, field_idx)
WHERE t.reread > 0
ORDER BY t.module, t.demangled NULLS LAST, t.func NULLS LAST, t.kind, t.arg_idx NULLS LAST, t.field_idx;
