# kdf: the two commands a newcomer runs are `make demo` and `make test`.
GO      ?= go
BIN     := bin/kdf
DEMO    := demo
PKGS    := ./...
# duckdb_arrow builds DuckDB's Arrow interface into kdf (kdf query
# --format arrow); everything also builds and tests without it.
# arrow_json_stdlib has Arrow use encoding/json, which kdf never asks it
# for, instead of a JSON module that is a tenth of a cold build.
TAGS    ?= duckdb_arrow,arrow_json_stdlib

.PHONY: all build test demo figures notebooks notebooks-deps notebooks-debs bench bench-ingest bench-small fuzz pgo clean

all: build

build:
	$(GO) build -tags=$(TAGS) -o $(BIN) ./cmd/kdf

test:
	$(GO) vet -tags=$(TAGS) $(PKGS)
	$(GO) test -tags=$(TAGS) -count=1 $(PKGS)

# The main job on an embedded default: a generated campaign of three
# arms, three trials each, both buffer layouts and several boots,
# ingested into a dataset; the headline tables on the terminal, figures
# and LaTeX tables in $(DEMO)/out.
DEMO_CAMPAIGN := $(DEMO)/campaign
DEMO_DATASET  := $(DEMO)/dataset
DEMO_OUT      := $(DEMO)/out
demo: build
	@rm -rf $(DEMO) && mkdir -p $(DEMO_OUT)
	@echo "== 1. generating a campaign: 3 arms x 3 trials x 2 boots, layouts A and B, buffers as the kernel writes them"
	@$(BIN) gen -o $(DEMO_CAMPAIGN) --arms dataflow,coverage,random --trials 3 --boots 2 --programs 30
	@echo; echo "== 2. the call tree of one buffer, paired (kdf tree), named from the kernel's BTF"
	@b=$$(ls $(DEMO_CAMPAIGN)/arm=dataflow/trial=1/boot=2/*.kcdf | head -1); \
	 $(BIN) tree $$b --kallsyms $$(dirname $$b)/kallsyms --btf $(DEMO_CAMPAIGN)/btf | head -24
	@echo; echo "== 3. ingesting it into a Parquet dataset (kdf ingest)"
	@$(BIN) ingest $(DEMO_CAMPAIGN) -o $(DEMO_DATASET) --campaign demo
	@echo; echo "== 4. argument values of vfs_write (kdf report values)"
	@$(BIN) report values $(DEMO_DATASET) --func vfs_write --top 3
	@$(BIN) report values $(DEMO_DATASET) --func vfs_write --arg 2 --plot $(DEMO_OUT)/values-vfs_write-count.svg >/dev/null
	@$(BIN) report values $(DEMO_DATASET) --format latex > $(DEMO_OUT)/values.tex
	@echo; echo "== 5. entry/return pairing per function, the first ten (kdf report pairs)"
	@$(BIN) report pairs $(DEMO_DATASET) --top 2 | head -12
	@$(BIN) report pairs $(DEMO_DATASET) --format latex > $(DEMO_OUT)/pairs.tex
	@echo; echo "== 6. the FFI contract violation: ffi_check_result given a NULL buffer after ffi_alloc_buf returned 0"
	@$(BIN) query $(DEMO_DATASET) "SELECT count(*) AS violations, count(DISTINCT run_id) AS runs FROM ($$($(BIN) report sql ffi_null_buffer | sed 's/;[[:space:]]*$$//'))"
	@echo; echo "== 7. what tracing cost per arm: records, buffer fill, measured overhead (kdf report overhead)"
	@$(BIN) report overhead $(DEMO_DATASET) --by arm
	@$(BIN) report overhead $(DEMO_DATASET) --by arm --plot $(DEMO_OUT)/overhead-cdf.svg >/dev/null
	@$(BIN) report overhead $(DEMO_DATASET) --by arm --format latex > $(DEMO_OUT)/overhead.tex
	@$(BIN) report overhead_functions $(DEMO_DATASET) --by arm --top 3
	@echo; echo "== 8. the arms compared over three trials: Mann-Whitney U and A12 against the baseline (kdf report compare)"
	@$(BIN) report compare $(DEMO_DATASET) --by arm --baseline random
	@$(BIN) report compare $(DEMO_DATASET) --by arm --baseline random --format latex > $(DEMO_OUT)/compare.tex
	@$(BIN) report compare $(DEMO_DATASET) --by arm --plot $(DEMO_OUT)/coverage-growth.svg >/dev/null
	@$(BIN) report compare $(DEMO_DATASET) --by arm --plot $(DEMO_OUT)/coverage-growth.png >/dev/null
	@echo; echo "== figures and LaTeX tables are in $(DEMO_OUT):"; ls $(DEMO_OUT)

# The README's figure is the demo's coverage-growth plot: the demo is
# deterministic, so this rewrites docs/coverage-growth.png with the same
# bytes unless the plot or the generator changed (.ci/run checks that).
figures: demo
	cp $(DEMO_OUT)/coverage-growth.png docs/coverage-growth.png

# Every notebook executed headless against a generated campaign (with
# the fields of an evaluation: rounds, two hours of timestamps, each
# program run twice, times over 10 executions); a cell that fails fails
# the target. It needs Jupyter, pandas and matplotlib
# for the system's Python: notebooks-deps checks them first and, if one
# is missing, says the one command that installs them (.ci/run runs it).
NB_WORK := $(DEMO)/notebooks
NB_PYTHON := /usr/bin/python3
NB_DEBS := jupyter-nbconvert python3-nbconvert python3-nbclient python3-ipykernel python3-pandas python3-matplotlib
notebooks-deps:
	@$(NB_PYTHON) -c 'import nbconvert, nbclient, ipykernel, pandas, matplotlib' 2>/dev/null || { \
	  echo "make notebooks: $(NB_PYTHON) lacks Jupyter, pandas or matplotlib; install them with:" >&2; \
	  echo "  sudo apt-get install -y $(NB_DEBS)" >&2; \
	  exit 1; }
notebooks-debs:
	@echo $(NB_DEBS)
notebooks: notebooks-deps build
	@rm -rf $(NB_WORK) && mkdir -p $(NB_WORK)/out
	$(BIN) gen -o $(NB_WORK)/campaign --arms dataflow,coverage,random --trials 3 --boots 1 --programs 20 \
	  --round 5 --interval 6m --repeat 2 --iters 10 >/dev/null
	$(BIN) ingest -q $(NB_WORK)/campaign -o $(NB_WORK)/dataset --campaign nb
	cd notebooks && for nb in *.ipynb; do \
	  echo "== $$nb"; \
	  PYDEVD_DISABLE_FILE_VALIDATION=1 KDF=$(CURDIR)/$(BIN) KDF_DATASET=$(CURDIR)/$(NB_WORK)/dataset KDF_FIGURES=$(CURDIR)/$(NB_WORK)/out \
	  PATH=/usr/bin:$$PATH /usr/bin/python3 -m jupyter nbconvert --to notebook --execute \
	    --ExecutePreprocessor.timeout=300 --output-dir $(CURDIR)/$(NB_WORK)/out $$nb || exit 1; \
	done

# The benchmark suite: micro-benchmarks, then generated campaigns of
# 10, 40 and 160 million records measured side by side (decode alone,
# DuckDB's COPY of the decoded columns, kdf ingest end to end, peak
# memory), then many small buffers: 5 million records as 100,000-record
# buffers, as 370-record buffers and as the realistic mix of a fuzzing
# campaign, three rounds, and 100,000 inputs of that mix, a hundred per
# boot, in the first (records/s, inputs/s, the cost of an input beyond
# its records; one run of it takes minutes). The targets as ratios, and each report against
# its SQL by hand. Results in bench.json; BENCH.md keeps the latest
# figures. Campaigns stay in $TMPDIR/kdf-bench for the next run.
# BENCH_QUICK=1 runs the same on small campaigns, in a few minutes.
BENCH_SIZES  ?= 10000000,40000000,160000000
BENCH_SMALL  ?= 5000000
BENCH_INPUTS ?= 100000
ifneq ($(BENCH_QUICK),)
BENCH_SIZES  := 1000000,4000000
BENCH_SMALL  := 1000000
BENCH_INPUTS := 10000
endif
bench: build
	$(GO) test -tags=$(TAGS) -run='^$$' -bench=. -benchmem ./ingest/ ./transform/... ./schema/part/
	$(GO) run -tags=$(TAGS) ./internal/bench -kdf $(BIN) -sizes $(BENCH_SIZES) -small $(BENCH_SMALL) -inputs $(BENCH_INPUTS) -inputs-repeat 1 -compact -reports -json bench.json

# Ingest end to end on a generated campaign and one four times its size:
# records/s, raw MB/s and peak memory, each run three times.
bench-ingest: build
	$(GO) run ./internal/bench -kdf $(BIN) -sizes 2000000,8000000 -json bench-ingest.json

# Only the many small buffers, in a few minutes: 5 million records as
# huge buffers, as 370-record buffers and as the realistic mix, and
# 20,000 inputs of the mix, three rounds; the 370-record campaign also
# packed as one .tar.zst and one .tar.gz, the 20,000 inputs as one
# .tar.zst per boot and one per program.
# BENCH_BASELINE=BIN also runs an earlier kdf on the same campaigns,
# side by side, and prints the speed-up, also of the three campaigns
# without their type source (the baseline's work: no argument names);
# BENCH_INGEST_FLAGS adds flags to
# the measured kdf's ingest (such as --compression snappy).
bench-small: build
	$(GO) run ./internal/bench -kdf $(BIN) $(if $(BENCH_BASELINE),-baseline $(BENCH_BASELINE) -untyped) $(if $(BENCH_INGEST_FLAGS),-ingest-flags '$(BENCH_INGEST_FLAGS)') -sizes '' -small 5000000 -archives -inputs 20000 -kallsyms 150000 -compact -json bench-small.json

# Each native fuzz target in turn, FUZZTIME each (make fuzz FUZZTIME=10m).
# A crasher lands in the package's testdata/fuzz/FuzzX/: keep it, plain
# go test (make test) then runs it as a regression test. The fuzzer
# minimizes every new input for up to FUZZMINTIME, counting no execs
# meanwhile; Go's default of 60s can take most of a one-minute run on two
# cores.
FUZZTIME    ?= 1m
FUZZMINTIME ?= 10s
FUZZ        := ./ingest:FuzzDecode \
	./transform/symbolize:FuzzParseKallsyms ./transform/symbolize:FuzzParseSystemMap ./transform/symbolize:FuzzParseLine \
	./transform/types:FuzzParseBTF \
	./ingest/source:FuzzManifest ./ingest/source:FuzzWalkTar \
	./query/internal/sqltext:FuzzBindVariables ./schema/part:FuzzRead
fuzz:
	@set -e; for t in $(FUZZ); do \
		echo "== $${t#*:} ($${t%%:*}) for $(FUZZTIME)"; \
		$(GO) test -run='^$$' -fuzz="^$${t#*:}\$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINTIME) "$${t%%:*}"; \
	done

# cmd/kdf/default.pgo is the CPU profile go build optimises kdf with
# (profile-guided inlining of ingest's hot paths: 2-6% less CPU, BENCH.md).
# It comes from ingests of 5M records as the realistic mix, as 370-record
# buffers, as huge buffers, and of 100,000 buffers of 87 records; make
# it again when the ingest's code has moved.
PGO_WORK ?= $(or $(TMPDIR),/tmp)/kdf-pgo
pgo: build
	rm -rf $(PGO_WORK) && mkdir -p $(PGO_WORK)
	$(BIN) gen -o $(PGO_WORK)/realistic --records 5000000 --size-dist realistic >/dev/null
	$(BIN) gen -o $(PGO_WORK)/370 --records 5000000 --records-per-buffer 370 >/dev/null
	$(BIN) gen -o $(PGO_WORK)/huge --records 5000000 --records-per-buffer 100000 >/dev/null
	$(BIN) gen -o $(PGO_WORK)/tiny --buffers 100000 --records-per-buffer 20 --boots 10 >/dev/null
	for c in realistic 370 huge tiny; do \
		$(BIN) ingest -q $(PGO_WORK)/$$c -o $(PGO_WORK)/ds-$$c --cpuprofile $(PGO_WORK)/$$c.prof || exit 1; \
	done
	$(GO) tool pprof -proto $(PGO_WORK)/*.prof > cmd/kdf/default.pgo
	rm -rf $(PGO_WORK)

clean:
	rm -rf bin $(DEMO)
