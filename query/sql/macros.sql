-- kdf's macros over value words. A value word is the UBIGINT the
-- kernel wrote: a scalar read through a pointer with the argument's
-- size and zero-extended to 64 bits, so an int of -14 arrives as
-- 0xfffffff2. Each statement's leading comment is its documentation.
-- errno_names() is created before this file, from kdf's errno table.

-- sext(v, size): the value word v read as a signed integer of size
-- bytes (1, 2 or 4; any other size reads all 8 bytes), as a BIGINT:
-- sext(0xfffffff2, 4) = -14.
CREATE MACRO sext(v, size) AS CASE
  WHEN size = 1 THEN CAST(v & 255 AS BIGINT) - CASE WHEN v & 128 <> 0 THEN 256 ELSE 0 END
  WHEN size = 2 THEN CAST(v & 65535 AS BIGINT) - CASE WHEN v & 32768 <> 0 THEN 65536 ELSE 0 END
  WHEN size = 4 THEN CAST(v & 4294967295 AS BIGINT) - CASE WHEN v & 2147483648 <> 0 THEN 4294967296 ELSE 0 END
  ELSE CAST(CAST(v AS HUGEINT) - CASE WHEN v >= 9223372036854775808 THEN 18446744073709551616 ELSE 0 END AS BIGINT)
END;

-- is_fault(v): v is 0xBADADD85, the marker the kernel writes when it
-- could not read the value (a faulting pointer, an ERR_PTR); it is not
-- data.
CREATE MACRO is_fault(v) AS v = 3134905733;

-- errno_of(v, size): the errno a return value of that size carries,
-- 14 for -EFAULT, or NULL: only sizes 4 and 8 carry errors, as values
-- in [-4095, -1] once sign-extended (an ERR_PTR included).
CREATE MACRO errno_of(v, size) AS CASE
  WHEN size IN (4, 8) AND sext(v, size) BETWEEN -4095 AND -1 THEN -sext(v, size)
END;

-- errno_name(v, size): the name of errno_of(v, size), 'EFAULT', or
-- 'E<n>' for a code without a name; NULL when v is not an error.
CREATE MACRO errno_name(v, size) AS
  coalesce(errno_names()[errno_of(v, size)], 'E' || errno_of(v, size));

-- hexv(v): a value word as the kernel prints it, '0xfffffff2'. DuckDB's
-- own hex(v) writes 'FFFFFFF2'.
CREATE MACRO hexv(v) AS printf('0x%x', v);

-- log2_bucket(v): 0 for 0, else k such that 2^(k-1) <= v < 2^k (1 to
-- 64), computed exactly for every UBIGINT.
CREATE MACRO log2_bucket(v) AS CASE
  WHEN v = 0 THEN 0
  WHEN (CAST(1 AS UBIGINT) << least(63, CAST(floor(log2(CAST(v AS DOUBLE))) AS INTEGER))) > v
    THEN least(63, CAST(floor(log2(CAST(v AS DOUBLE))) AS INTEGER))
  ELSE least(63, CAST(floor(log2(CAST(v AS DOUBLE))) AS INTEGER)) + 1
END;

-- run_group(group_by, campaign, attrs): a run's group when the reports
-- group runs by group_by (kdf report --by). That is its campaign when
-- group_by is 'campaign', else its value of that attribute, NULL when
-- the run lacks it. Called with the run's campaign and attrs.
CREATE MACRO run_group(group_by, campaign, attrs) AS CASE group_by
  WHEN 'campaign' THEN campaign
  ELSE attrs[group_by]
END;

-- iters_of(attrs): how many executions a run's exec_ns and baseline_ns
-- add up, from its manifest's iters field (a benchmark that times a
-- loop): 1 without one, NULL when it is not a number above 0. Called
-- with the run's attrs; exec_ns / iters_of(attrs) is the time of one.
-- kdf record's iterations is another thing, the runs whose medians its
-- times are: those are the times of one execution already.
CREATE MACRO iters_of(attrs) AS CASE
  WHEN attrs['iters'] IS NULL THEN 1
  WHEN try_cast(attrs['iters'] AS DOUBLE) > 0 THEN try_cast(attrs['iters'] AS DOUBLE)
END;
