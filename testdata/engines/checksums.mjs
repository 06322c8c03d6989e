// checksums.mjs reads a kdf dataset directory with engines that know
// nothing of kdf, nodejs-polars and DuckDB's Node binding, and prints as
// JSON, per engine and table, the row count and checksums (the columns
// of checksums.sql), how the engine types each column, and the
// JavaScript type a 64-bit unsigned value arrives as.
//
//	node checksums.mjs DATASET [polars|duckdb]...
//
// Every number is printed as a decimal string: sums of unsigned 64-bit
// columns pass 2^64, and a JavaScript number is exact only to 2^53.
// Each table is read as TABLE/*/*.parquet with Hive partitioning, the
// campaign partition typed as a string.
import { readFileSync, readdirSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pl from "nodejs-polars";
import { DuckDBInstance } from "@duckdb/node-api";

const here = path.dirname(fileURLToPath(import.meta.url));

// checks returns checksums.sql's statements: [{table, sql}].
function checks() {
  const text = readFileSync(path.join(here, "checksums.sql"), "utf8");
  const out = [];
  for (const stmt of text.split(/;\s*$/m)) {
    const m = stmt.match(/^-- (\w+):.*$/m);
    if (m) out.push({ table: m[1], sql: stmt.slice(m.index).trim() });
  }
  return out;
}

// parts lists a table's Parquet files, as the glob TABLE/*/*.parquet does.
function parts(ds, table) {
  const dir = path.join(ds, table);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(path.join(dir, d.name)).filter((f) => f.endsWith(".parquet")));
}

// text turns a value as an engine gave it into the printed form.
function text(v) {
  return v === null || v === undefined ? null : String(v);
}

async function duckdb(ds) {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  const out = { types: {}, tables: {}, js_types: {} };
  for (const { table, sql } of checks()) {
    if (parts(ds, table).length === 0) {
      out.tables[table] = { rows: "0" };
      continue;
    }
    const glob = path.join(ds, table, "*", "*.parquet").replaceAll("'", "''");
    await conn.run(`CREATE VIEW ${table} AS SELECT * FROM read_parquet('${glob}',
      hive_partitioning = true, hive_types = {'campaign': VARCHAR})`);
    const desc = await conn.runAndReadAll(`DESCRIBE ${table}`);
    out.types[table] = Object.fromEntries(desc.getRowsJS().map((r) => [r[0], r[1]]));
    const res = await conn.runAndReadAll(sql);
    const row = res.getRowsJS()[0];
    const sums = Object.fromEntries(res.columnNames().map((n, i) => [n, text(row[i])]));
    const camp = await conn.runAndReadAll(`SELECT string_agg(campaign || '=' || n, ',' ORDER BY campaign)
      FROM (SELECT campaign, count(*) AS n FROM ${table} GROUP BY campaign)`);
    out.tables[table] = { rows: sums.rows, campaigns: text(camp.getRowsJS()[0][0]), ...sums };
    if (table === "records") out.js_types.max_value = typeof row[res.columnNames().indexOf("max_value")];
  }
  conn.closeSync();
  db.closeSync();
  return out;
}

// Polars sums an unsigned 64-bit column as UInt64, modulo 2^64, and
// hands a Decimal to JavaScript only as a string: sums go through
// Decimal(38, 0) and come back as text. As in SQL, the sum of no value
// is null (Polars says 0).
const sum = (e) =>
  pl.when(e.count().gt(0)).then(e.cast(pl.Decimal(38, 0)).sum().cast(pl.Utf8)).otherwise(pl.lit(null));
const col = pl.col;
const count = (e) => e.cast(pl.UInt32).sum(); // of a boolean: how many are true
// Each check is an expression over the table, or a function computing
// the value.
const polarsChecks = {
  runs: (lf) => ({
    distinct_run_id: col("run_id").nUnique(),
    sum_run_id: sum(col("run_id")),
    sum_bytes: sum(col("bytes")),
    sum_exec_ns: sum(col("exec_ns")),
    nonnull_exec_ns: col("exec_ns").count(),
    sum_kaslr_offset: sum(col("kaslr_offset")),
    nonnull_kaslr_offset: col("kaslr_offset").count(),
    sum_first_seq: sum(col("first_seq")),
    sum_last_seq: sum(col("last_seq")),
    // A MAP column reads as a list of {key, value} structs.
    attrs_entries: sum(col("attrs").lst.lengths()),
    attrs_arm: () => first(lf
      .select("arm", "attrs").explode("attrs")
      .filter(col("attrs").struct.field("key").eq(pl.lit("arm")).and(col("attrs").struct.field("value").eq(col("arm"))))
      .select(pl.len())),
  }),
  records: (lf) => ({
    distinct_run_id: col("run_id").nUnique(),
    nonnull_func: col("func").count(),
    sum_pc: sum(col("pc")),
    min_pc: col("pc").min(),
    sum_func_offset: sum(col("func_offset")),
    sum_addr: sum(col("addr")),
    sum_value: sum(col("value")),
    max_value: col("value").max(),
    values_ge_2_63: count(col("value").gtEq(pl.lit(2n ** 63n))),
    sum_seq: sum(col("seq")),
    sum_arg_idx: sum(col("arg_idx")),
    sum_size: sum(col("size")),
    fields_items: sum(col("fields").lst.lengths()),
    sum_fields: sum(col("fields").explode()),
  }),
  calls: () => ({
    distinct_run_id: col("run_id").nUnique(),
    complete: count(col("status").eq(pl.lit("complete"))),
    sum_pc: sum(col("pc")),
    sum_ret: sum(col("ret")),
    nonnull_ret: col("ret").count(),
    sum_ret_size: sum(col("ret_size")),
    sum_pre_ret: sum(col("pre_ret")),
    args_items: sum(col("args").lst.lengths()),
    sum_args: sum(col("args").explode()),
    sum_arg_sizes: sum(col("arg_sizes").explode()),
  }),
  functions: () => ({
    distinct_func: col("func").nUnique(),
    sum_addr: sum(col("addr")),
  }),
  rejects: (lf) => ({
    reasons: () => groups(lf, "reason"),
    sum_bytes: sum(col("bytes")),
  }),
};

// first is a query's first value.
function first(lf) {
  return lf.collectSync().row(0)[0];
}

// groups is "k1=n1,k2=n2" of a column's values and their counts, sorted.
function groups(lf, by) {
  const df = lf.groupBy(by).agg(pl.len().alias("n")).sort(by).collectSync();
  return df.toRecords().map((r) => `${r[by]}=${r.n}`).join(",");
}

// typeName writes a Polars data type as Polars names it: UInt64,
// List(UInt64), Struct(key: String, value: String).
function typeName(t) {
  if (typeof t === "string") return t;
  const [[k, v]] = Object.entries(t);
  if (k === "DataType") return typeName(v);
  if (k === "List") return `List(${typeName(v)})`;
  if (k === "Struct") return `Struct(${v.map((f) => `${f.name}: ${typeName(f.dtype)}`).join(", ")})`;
  return `${k}(${JSON.stringify(v)})`;
}

function polars(ds) {
  const out = { types: {}, tables: {}, js_types: {} };
  for (const { table } of checks()) {
    if (parts(ds, table).length === 0) {
      out.tables[table] = { rows: "0" };
      continue;
    }
    const lf = pl.scanParquet(path.join(ds, table, "*", "*.parquet"), {
      hivePartitioning: true,
      hiveSchema: { campaign: pl.Utf8 },
    });
    const schema = lf.limit(0).collectSync().schema;
    out.types[table] = Object.fromEntries(Object.entries(schema).map(([n, t]) => [n, typeName(JSON.parse(JSON.stringify(t)))]));
    const res = { rows: text(first(lf.select(pl.len()))), campaigns: groups(lf, "campaign") };
    for (const [name, e] of Object.entries(polarsChecks[table](lf))) {
      const v = typeof e === "function" ? e() : first(lf.select(e.alias(name)));
      res[name] = text(v);
      if (table === "records" && name === "max_value") out.js_types.max_value = typeof v;
    }
    out.tables[table] = res;
  }
  return out;
}

async function main(argv) {
  const [ds, ...names] = argv;
  if (!ds || ds.startsWith("-")) {
    process.stderr.write("usage: node checksums.mjs DATASET [polars|duckdb]...\n");
    process.exit(2);
  }
  const engines = { polars, duckdb };
  const out = {};
  for (const name of names.length ? names : Object.keys(engines)) {
    if (!engines[name]) {
      process.stderr.write(`checksums: no engine ${name}: polars or duckdb\n`);
      process.exit(2);
    }
    out[name] = await engines[name](ds);
  }
  process.stdout.write(JSON.stringify(out, null, 1) + "\n");
}

await main(process.argv.slice(2));
