# kdf: the two commands a newcomer runs are `make demo` and `make test`.
GO      ?= go
BIN     := bin/kdf
DEMO    := demo
PKGS    := ./...
# duckdb_arrow builds DuckDB's Arrow interface into kdf (kdf query
# --format arrow); everything also builds and tests without it.
TAGS    ?= duckdb_arrow

.PHONY: all build test demo bench bench-ingest fuzz clean

all: build

build:
	$(GO) build -tags=$(TAGS) -o $(BIN) ./cmd/kdf

test:
	$(GO) vet -tags=$(TAGS) $(PKGS)
	$(GO) test -tags=$(TAGS) -count=1 $(PKGS)

# The main job on an embedded default: a small generated campaign, its
# buffers' accounting and one buffer's call tree.
demo: build
	@echo "== generating a small synthetic campaign in $(DEMO)/campaign"
	@rm -rf $(DEMO) && $(BIN) gen -o $(DEMO)/campaign
	@echo "== accounting of the first boot's buffers"
	@$(BIN) inspect $$(ls $(DEMO)/campaign/arm=*/trial=1/boot=1/*.kcdf | head -8)
	@echo "== the call tree of one buffer"
	@b=$$(ls $(DEMO)/campaign/arm=*/trial=1/boot=1/*.kcdf | head -1); \
	 $(BIN) tree $$b --kallsyms $$(dirname $$b)/kallsyms --system-map $(DEMO)/campaign/System.map | head -40

bench:
	$(GO) test -tags=$(TAGS) -run='^$$' -bench=. -benchmem $(PKGS)

# Ingest end to end on a generated campaign and one four times its size:
# records/s, raw MB/s and peak memory, each run three times.
bench-ingest: build
	$(GO) run ./query/bench -kdf $(BIN) -sizes 2000000,8000000 -json bench-ingest.json

FUZZTIME ?= 1m
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzDecode -fuzztime=$(FUZZTIME) ./ingest
	$(GO) test -run='^$$' -fuzz=FuzzParseKallsyms -fuzztime=$(FUZZTIME) ./transform/symbolize
	$(GO) test -run='^$$' -fuzz=FuzzParseSystemMap -fuzztime=$(FUZZTIME) ./transform/symbolize

clean:
	rm -rf bin $(DEMO)
