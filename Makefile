# Thin wrappers around the go tool; every target works on a fresh Debian machine with Go and gcc.
GO      ?= go
BIN     := bin/llmflow
PKGS    := ./...
FUZZTIME ?= 20s
# Bounds the minimising of each new input: at go's default (60s) a target
# whose inputs take long to minimise, like FuzzOpenDataset, spends its whole
# FUZZTIME there instead of exploring.
FUZZMINIMIZETIME ?= 2s

.PHONY: build demo test bench fuzz proto clean

build:
	$(GO) build -o $(BIN) ./cmd/llmflow

demo: build
	cd examples/quickstart && ../../$(BIN) run pipeline.hcl

test:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) test -timeout 25m $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x $(PKGS)

# Runs every fuzz target for FUZZTIME each, minimising new inputs for at most
# FUZZMINIMIZETIME; a crash lands in the package's testdata/fuzz.
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) $$pkg || exit 1; \
	  done; \
	done

proto:
	./plugins/sdk/proto/gen.sh

clean:
	rm -rf bin
