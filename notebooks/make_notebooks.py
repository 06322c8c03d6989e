"""Writes kdf's notebooks from the cells below, with outputs cleared.

The notebooks are source: edit the cells here and run
`python3 notebooks/make_notebooks.py`, so that every notebook shares the
same first cell (where the dataset is chosen) and stays reviewable.
"""
import json
import os

SETUP = '''# The dataset to read: change this line for your own campaign.
DATASET = "../demo/dataset"

import io, os, subprocess
import pandas as pd
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

# make notebooks runs these against a generated campaign.
DATASET = os.environ.get("KDF_DATASET", DATASET)
KDF = os.environ.get("KDF", "../bin/kdf")
FIGURES = os.environ.get("KDF_FIGURES", "figures")
os.makedirs(FIGURES, exist_ok=True)

def kdf(*args):
    """Runs kdf and returns its standard output."""
    return subprocess.run([KDF, *args], check=True, capture_output=True, text=True).stdout

def kdf_csv(*args):
    """Runs a kdf query or report and reads its CSV output."""
    return pd.read_csv(io.StringIO(kdf(*args, "--format", "csv")))

def sql(query):
    """Ad hoc SQL over the dataset's views (runs, records, calls, args, ...)."""
    return kdf_csv("query", DATASET, query)
'''


def md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text.strip("\n").splitlines(keepends=True)}


def code(text):
    return {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
            "source": text.strip("\n").splitlines(keepends=True)}


def notebook(cells):
    return {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}


NOTEBOOKS = {}

NOTEBOOKS["01-campaign-overview"] = [
    md("""# Campaign overview

Runs, records and layouts per campaign and arm, and what the buffers lost:
records dropped when a buffer filled (saturated runs), torn tails, damaged
words, and inputs that could not be ingested at all (rejects)."""),
    code(SETUP),
    code('''overview = sql("""
    SELECT campaign, arm, layout, count(*) AS runs, sum(records) AS records,
           sum(calls) AS calls, round(avg(fill), 3) AS mean_fill
    FROM runs GROUP BY ALL ORDER BY ALL""")
overview'''),
    md("## Loss and damage per arm"),
    code('''loss = sql("""
    SELECT arm, count(*) AS runs,
           sum(saturated::INT) AS saturated, sum(torn::INT) AS torn,
           sum(damaged_words) AS damaged_words, sum(missing_words) AS missing_words,
           sum(unresolved_pcs) AS unresolved_pcs
    FROM runs GROUP BY arm ORDER BY arm""")
loss'''),
    code('''ax = loss.set_index("arm")[["saturated", "torn"]].plot.bar(figsize=(6, 3.5), rot=0)
ax.set_ylabel("runs"); ax.set_title("Runs that lost records")
plt.tight_layout(); plt.savefig(f"{FIGURES}/loss.png", dpi=150); plt.show()'''),
    md("## Inputs not ingested, and why"),
    code('''sql("SELECT reason, count(*) AS inputs, any_value(detail) AS example FROM rejects GROUP BY reason ORDER BY inputs DESC")'''),
]

NOTEBOOKS["02-argument-values"] = [
    md("""# Argument value distributions

Which values did a function's arguments take across the campaign? The
`values` report gives, per function and argument, the calls, distinct values,
shares of zero and of fault markers (`0xBADADD85`), the most common values
and a log2 histogram."""),
    code(SETUP),
    code('''FUNCTION = "vfs_write"   # a glob: "*ioctl*" works too'''),
    code('''values = kdf_csv("report", "values", DATASET, "--func", FUNCTION)
values'''),
    md("## The histogram of each argument, over log2 buckets"),
    code('''args = sql(f"""
    SELECT arg_idx, min(arg_name) AS arg_name, log2_bucket(value) AS bucket, count(*) AS n
    FROM args WHERE func = '{FUNCTION}' GROUP BY arg_idx, bucket ORDER BY ALL""")
fig, axes = plt.subplots(1, max(1, args.arg_idx.nunique()), figsize=(3 * max(1, args.arg_idx.nunique()), 3), squeeze=False)
for ax, (idx, g) in zip(axes[0], args.groupby("arg_idx")):
    ax.bar(g.bucket, g.n); ax.set_xlim(-1, 65); ax.set_title(f"{FUNCTION}: {next(iter(g.arg_name.dropna()), f'arg {idx}')}"); ax.set_xlabel("log2 bucket")
axes[0][0].set_ylabel("calls")
plt.tight_layout(); plt.savefig(f"{FIGURES}/values-{FUNCTION}.png", dpi=150); plt.show()'''),
    md("""## Struct arguments, field by field

With the kernel's types (BTF beside the buffers, or `kdf ingest --btf`),
arguments and struct fields carry their names: `arg_name`, `field_name`."""),
    code('''sql(f"""
    SELECT arg_idx, arg_name, field_idx, field_name, count(*) AS n, count(DISTINCT field_value) AS distinct_values,
           avg((field_value = 0)::INT) AS zero_share
    FROM arg_fields WHERE func = '{FUNCTION}' AND nvals > 1 GROUP BY ALL ORDER BY ALL""")'''),
]

NOTEBOOKS["03-pairing-and-contracts"] = [
    md("""# Entry/return pairing and contract checks

kdf pairs every ENTRY with its RET into calls (complete, no_return,
no_entry, truncated). Pairs let you check contracts between a callee and its
caller. The worked example is the RFC's FFI contract violation:
`ffi_alloc_buf` returns 0 (success) but leaves `alloc->buffer` NULL, and
`ffi_check_result` then receives the NULL buffer."""),
    code(SETUP),
    code('''pairs = kdf_csv("report", "pairs", DATASET)
pairs.head(20)'''),
    md("## Calls by status"),
    code('''status = sql("SELECT status, count(*) AS calls FROM calls GROUP BY status ORDER BY calls DESC")
ax = status.set_index("status").calls.plot.bar(figsize=(5, 3), rot=0, logy=True)
ax.set_ylabel("calls"); plt.tight_layout(); plt.savefig(f"{FIGURES}/pairing-status.png", dpi=150); plt.show()'''),
    md("""## The FFI contract: NULL buffer after a successful allocation

The query below ships with kdf (`kdf report sql ffi_null_buffer` prints it):
calls of `ffi_check_result` whose struct argument's first field (`buffer`) is
0 right after a sibling `ffi_alloc_buf` call returned 0."""),
    code('''print(kdf("report", "sql", "ffi_null_buffer"))'''),
    code('''violations = kdf_csv("report", "ffi_null_buffer", DATASET)
print(f"{len(violations)} calls saw the violation")
violations.head(10)'''),
    md("## Error returns, by errno"),
    code('''sql("""
    SELECT func, errno_name(ret, ret_size) AS errno, count(*) AS calls
    FROM calls WHERE errno_name(ret, ret_size) IS NOT NULL
    GROUP BY ALL ORDER BY calls DESC LIMIT 15""")'''),
]

NOTEBOOKS["04-overhead"] = [
    md("""# Overhead

What tracing cost: records and buffer fill per group, the functions that
cost the most records (and what excluding them would save), the callback time
estimated at the seed's 27 ns per callback, and, where manifests carry
`exec_ns` and `baseline_ns`, the measured overhead per run."""),
    code(SETUP),
    code('''GROUP_BY = "arm"
COST_NS = 27   # nanoseconds per callback, the seed's figure'''),
    code('''overhead = kdf_csv("report", "overhead", DATASET, "--by", GROUP_BY, "--cost-ns", str(COST_NS))
overhead'''),
    md("## The functions that cost the most records"),
    code('''functions = kdf_csv("report", "overhead_functions", DATASET, "--top", "15")
functions'''),
    code('''ax = functions.set_index("function")["share"].plot.barh(figsize=(6, 5))
ax.invert_yaxis(); ax.set_xlabel("share of records")
plt.tight_layout(); plt.savefig(f"{FIGURES}/cost-functions.png", dpi=150); plt.show()'''),
    md("## Buffer fill and measured overhead per run"),
    code('''runs = kdf_csv("report", "overhead_runs", DATASET, "--by", GROUP_BY)
runs.head()'''),
    code('''kdf("report", "overhead", DATASET, "--by", GROUP_BY, "--plot", f"{FIGURES}/overhead-cdf.svg")
fig, ax = plt.subplots(figsize=(6, 3.5))
for g, d in runs.dropna(subset=["overhead"]).groupby("group"):
    v = (100 * d.overhead).sort_values()   # percent, as kdf's tables and figures show it
    ax.step(v, [i / len(v) for i in range(1, len(v) + 1)], label=g)
ax.set_xlabel("overhead (%): exec_ns / baseline_ns - 1"); ax.set_ylabel("fraction of runs"); ax.legend()
plt.tight_layout(); plt.savefig(f"{FIGURES}/overhead-cdf.png", dpi=150); plt.show()'''),
    md("""## Per iteration, best of N

Where a manifest says a run's times cover several executions (`iters`),
kdf divides them; where a program ran several times (the same `program`),
`--per program` takes its best run, as benchmarks do."""),
    code('''kdf_csv("report", "overhead", DATASET, "--by", GROUP_BY, "--per", "program",
        "--columns", f"{GROUP_BY},timed,overhead_median,overhead_lo,overhead_hi,extra_ns,ns_per_record")'''),
]

NOTEBOOKS["05-arm-comparison"] = [
    md("""# Arm comparison

Over repeated trials, per fuzzer arm: value coverage (distinct (function,
argument, value) tuples), functions reached and records, as median [min-max]
with Mann-Whitney U p-values and the Vargha-Delaney A12 effect size against
the baseline arm. The LaTeX table goes straight into a paper; the figure shows
value coverage growing over each arm's runs."""),
    code(SETUP),
    code('''BY = "arm"'''),
    code('''compare = kdf_csv("report", "compare", DATASET, "--by", BY)
compare'''),
    md("## The paper table"),
    code('''latex = kdf("report", "compare", DATASET, "--by", BY, "--format", "latex")
open(f"{FIGURES}/compare.tex", "w").write(latex)
print(latex)'''),
    md("## Value coverage growth"),
    code('''kdf("report", "compare", DATASET, "--by", BY, "--plot", f"{FIGURES}/coverage-growth.svg")
kdf("report", "compare_growth", DATASET, "--by", BY, "--axis", "time", "--plot", f"{FIGURES}/coverage-growth-hours.svg")
growth = kdf_csv("report", "compare_growth", DATASET, "--by", BY)
growth.head()'''),
    code('''fig, ax = plt.subplots(figsize=(6, 3.5))
for (group, trial), d in growth.groupby(["group", "trial"]):
    ax.plot(d["run"], d["value_coverage"], label=f"{group} {trial}", alpha=0.8)
ax.set_xlabel("run"); ax.set_ylabel("distinct (function, argument, value)"); ax.legend(fontsize=7, ncol=3)
plt.tight_layout(); plt.savefig(f"{FIGURES}/coverage-growth.png", dpi=150); plt.show()'''),
]

NOTEBOOKS["06-paper-evaluation"] = [
    md("""# A paper's evaluation section

The tables and figures of a kcov_dataflow fuzzing paper's evaluation, from
the dataset alone: the arms compared on metrics of the paper's own choosing
(median [min-max] over trials, Mann-Whitney U, Vargha-Delaney A12), coverage
growth over hours and over fuzzing rounds, the overhead of recording per
execution and best of N, and how calls changed the structs they were given.
Every table is written as LaTeX that fits `\\linewidth`, with a caption and
a label, and every figure as SVG (text drawn as outlines) and PDF (fonts
embedded), ready for `\\input` and `\\includegraphics`. The files land in
`FIGURES`."""),
    code(SETUP),
    code('''from IPython.display import SVG, display

BY = "arm"
BASELINE = "random"

def paper(name, *args, caption, label):
    """Writes a report's LaTeX table to FIGURES/name.tex and shows it."""
    tex = kdf("report", *args, "--format", "latex", "--caption", caption, "--label", label)
    with open(f"{FIGURES}/{name}.tex", "w") as f:
        f.write(tex)
    print(tex)

def figure(name, *args):
    """Draws a report's figure as FIGURES/name.svg and .pdf and shows it."""
    for ext in ("svg", "pdf"):
        kdf("report", *args, "--plot", f"{FIGURES}/{name}.{ext}")
    display(SVG(filename=f"{FIGURES}/{name}.svg"))'''),
    md("""## The metrics

Besides kdf's value coverage and functions reached, a metric is any number
per trial: an aggregate over the trial's runs (a manifest field is
`attrs['KEY']`), records, calls, args, arg_fields or rets, with `WHERE` to
narrow them."""),
    code('''METRICS = [
    "value_coverage",
    "functions",
    "distinct_pcs=count(DISTINCT pc) FROM records",
    "ioctl_cmds=count(DISTINCT value) FROM args WHERE func = 'do_vfs_ioctl' AND arg_idx = 2",
    "errors=count(*) FROM rets WHERE errno IS NOT NULL",
    "rounds=max(attrs['round']::INT)",
]
metric_flags = [f for m in METRICS for f in ("--metric", m)]
kdf_csv("report", "compare", DATASET, "--by", BY, "--baseline", BASELINE, *metric_flags)'''),
    md("## Table: the arms compared"),
    code('''paper("tab-arms", "compare", DATASET, "--by", BY, "--baseline", BASELINE, *metric_flags,
      caption=f"Each arm against {BASELINE} over three trials: median [min--max], "
              r"two-sided Mann-Whitney $U$ $p$-value and Vargha-Delaney $\\hat{A}_{12}$.",
      label="tab:arms")'''),
    code('''figure("fig-metrics", "compare", DATASET, "--by", BY, *metric_flags)'''),
    md("## Figure: value coverage over hours and over rounds"),
    code('''figure("fig-growth-hours", "compare_growth", DATASET, "--by", BY, "--axis", "time")
figure("fig-growth-rounds", "compare_growth", DATASET, "--by", BY, "--axis", "round")'''),
    md("""## Table: what recording costs

Times per execution (the manifests' `iters`), each program's best of
its runs (`--per program`), in percent; LaTeX shows the columns a page has
room for (`--columns all` shows every one)."""),
    code('''paper("tab-overhead", "overhead", DATASET, "--by", BY, "--per", "program",
      caption="Overhead of recording per arm, best of $N$ runs of each program, per execution: "
              r"median with its bootstrap 95\\% interval.",
      label="tab:overhead")
figure("fig-overhead", "overhead", DATASET, "--by", BY, "--per", "program")'''),
    md("""## Table: structs calls changed

kcov_dataflow records a struct's fields when a function is entered with a
pointer to it, not when it returns; the `fields` report compares them with
the next read of the same struct in the run (by a callee, inside the call, or
after it)."""),
    code('''fields = kdf_csv("report", "fields", DATASET)
fields.head(10)'''),
    code('''paper("tab-fields", "fields", DATASET, "--columns", "function,arg_name,field_name,reread,inside,changed,top_changes",
      caption="Struct fields read again later in their run, and how often they had changed.", label="tab:fields")'''),
    md("## Table: one function's argument values"),
    code('''paper("tab-values", "values", DATASET, "--func", "vfs_write", "--top", "3",
      "--columns", "function,arg_name,calls,distinct_values,zero_share,fault_share,top_values",
      caption=r"Values of \\texttt{vfs\\_write}'s arguments.", label="tab:values")'''),
    code('''sorted(os.listdir(FIGURES))'''),
]

for name, cells in NOTEBOOKS.items():
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".ipynb")
    with open(path, "w") as f:
        json.dump(notebook(cells), f, indent=1)
        f.write("\n")
