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
-- is NULL for a scalar). With a type source (runs.named), arg_name and
-- arg_type are the parameter's name and C type, signed says whether
-- value_s (true) or value (false) is the integer the argument held,
-- value_name names an enum's value, and field_names the words of
-- fields; all NULL otherwise. call_id links to calls, record_idx to
-- records.idx.
CREATE VIEW args AS
SELECT campaign, run_id, call_id, idx AS record_idx, func, demangled, module,
       arg_idx, arg_name, arg_type, size, value, sext(value, size) AS value_s, signed, value_name,
       is_fault(value) AS is_fault, nvals, fields, field_names
FROM records
WHERE kind = 'entry';

-- arg_fields: one row per value word of every argument: a scalar is
-- one field (field_idx 0, its value), a struct one row per field from
-- field_idx 0, in the order the kernel read them. field_name is the
-- struct member's name when a type source named the argument (NULL
-- otherwise, and for a scalar). Field sizes are not recorded, so field
-- values are not sign-extended.
CREATE VIEW arg_fields AS
SELECT campaign, run_id, call_id, record_idx, func, demangled, module, arg_idx, arg_name, size, nvals,
       f.field_idx, field_names[f.field_idx + 1] AS field_name, f.field_value, is_fault(f.field_value) AS is_fault
FROM (
  SELECT *, unnest(list_transform(coalesce(fields, [value]),
                   lambda x, i: {'field_idx': i - 1, 'field_value': x})) AS f
  FROM args
);

-- rets: one row per return value (a RET record; the RET some functions
-- write just before their own entry is kind pre_ret in records and is
-- not here). value_s is value sign-extended by size; errno and
-- errno_name name an error return (NULL otherwise). With a type source,
-- ret_type is the return type's C spelling, signed says whether value_s
-- or value is the integer returned, value_name names an enum's value.
CREATE VIEW rets AS
SELECT campaign, run_id, call_id, idx AS record_idx, func, demangled, module, arg_type AS ret_type, size,
       value, sext(value, size) AS value_s, signed, value_name,
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
