-- kdf's views over the dataset's tables, for argument and return value
-- questions. Each statement's leading comment is its documentation.

-- errnos: the kernel's errno names by code (1 is EPERM, 531 ENOGRACE),
-- as kdf names error returns.
CREATE VIEW errnos AS
SELECT code, name
FROM (SELECT unnest(errno_names()) AS name, generate_subscripts(errno_names(), 1) AS code)
WHERE name IS NOT NULL;

-- args: one row per argument a function was entered with (an ENTRY
-- record). value is the first value word (a struct's first field),
-- value_s the same sign-extended by size, is_fault whether it is the
-- fault marker; nvals and fields hold every word of a struct (fields
-- is NULL for a scalar). call_id links to calls, record_idx to
-- records.idx.
CREATE VIEW args AS
SELECT campaign, run_id, call_id, idx AS record_idx, func, demangled, module,
       arg_idx, size, value, sext(value, size) AS value_s, is_fault(value) AS is_fault,
       nvals, fields
FROM records
WHERE kind = 'entry';

-- arg_fields: one row per value word of every argument: a scalar is
-- one field (field_idx 0, its value), a struct one row per field from
-- field_idx 0, in the order the kernel read them. Field sizes are not
-- recorded, so field values are not sign-extended.
CREATE VIEW arg_fields AS
SELECT campaign, run_id, call_id, record_idx, func, demangled, module, arg_idx, size, nvals,
       f.field_idx, f.field_value, is_fault(f.field_value) AS is_fault
FROM (
  SELECT *, unnest(list_transform(coalesce(fields, [value]),
                   lambda x, i: {'field_idx': i - 1, 'field_value': x})) AS f
  FROM args
);

-- rets: one row per return value (a RET record; the RET some functions
-- write just before their own entry is kind pre_ret in records and is
-- not here). value_s is value sign-extended by size; errno and
-- errno_name name an error return (NULL otherwise).
CREATE VIEW rets AS
SELECT campaign, run_id, call_id, idx AS record_idx, func, demangled, module, size,
       value, sext(value, size) AS value_s,
       errno_of(value, size) AS errno, errno_name(value, size) AS errno_name,
       is_fault(value) AS is_fault
FROM records
WHERE kind = 'ret';

-- contents: one row per distinct buffer content: sha256, runs (how many
-- runs have it: short programs often leave byte-identical buffers, and
-- each is a run of its own), campaigns (how many campaigns), bytes, and
-- an example path. Join it to runs USING (sha256) to find repeats.
CREATE VIEW contents AS
SELECT sha256, count(*) AS runs, count(DISTINCT campaign) AS campaigns,
       any_value(bytes) AS bytes, min(path) AS example_path
FROM runs
GROUP BY sha256;
