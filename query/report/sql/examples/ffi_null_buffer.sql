-- ffi_null_buffer: the seed's FFI contract question. Which calls of
-- ffi_check_result got a struct whose buffer is NULL (its first field
-- is 0) right after ffi_alloc_buf returned 0?
--
-- "Right after" is the nearest earlier call of ffi_alloc_buf in the
-- same run and segment with the same parent: the two are siblings, and
-- calls of other functions (the logging between them in the seed's
-- session) may come in between. The ASOF join picks that nearest call;
-- the struct's fields come from arg_fields (nvals > 1: a struct).

SELECT c.campaign, c.run_id, c.call_id, c.func, c.module, c.depth,
       a.call_id AS alloc_call_id, a.ret AS alloc_ret,
       f.field_value AS buffer,
       errno_name(c.ret, c.ret_size) AS check_errno
FROM calls c
ASOF JOIN (SELECT * FROM calls WHERE func = 'ffi_alloc_buf') a
  ON a.run_id = c.run_id AND a.segment = c.segment AND a.parent_id = c.parent_id
 AND a.call_id < c.call_id
JOIN arg_fields f
  ON f.run_id = c.run_id AND f.call_id = c.call_id AND f.nvals > 1 AND f.field_idx = 0
WHERE c.func = 'ffi_check_result'
  AND a.ret = 0
  AND f.field_value = 0
ORDER BY c.campaign, c.run_id, c.call_id;
