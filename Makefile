# Gangwen Dash — the two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
APT_PACKAGES := chromium fonts-noto-cjk poppler-utils

.PHONY: run test install install-dev system-deps assets lint bench clean

run: install assets
	-@$(MAKE) --no-print-directory system-deps
	$(BIN)/python -m gangwen_dash bootstrap
	$(BIN)/streamlit run serve.py --server.headless true --server.port $(PORT) --browser.gatherUsageStats false

test: install-dev system-deps assets
	$(BIN)/python -m pytest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

# Map JavaScript/CSS (Leaflet, Leaflet.markercluster, Leaflet.heat) from the npm registry, pinned in
# assets/package-lock.json, copied into the ignored static/vendor/ that the app serves at /app/static/vendor/
# (a government intranet has no CDN). Nothing of it is kept in git. npm comes from apt when missing.
VENDOR_STAMP := static/vendor/.installed
$(VENDOR_STAMP): assets/package.json assets/package-lock.json
	@command -v npm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then echo "Installing with apt: npm"; apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	  else echo "npm is missing — run: sudo apt-get install npm"; exit 1; fi; }
	cd assets && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	rm -rf static/vendor && mkdir -p static/vendor
	cp -r assets/node_modules/leaflet/dist static/vendor/leaflet
	cp -r assets/node_modules/leaflet.markercluster/dist static/vendor/leaflet.markercluster
	cp -r assets/node_modules/leaflet.heat/dist static/vendor/leaflet.heat
	touch $@

assets: $(VENDOR_STAMP)

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Debian's Chromium and CJK fonts (browser tests, weekly pack), poppler (PDF checks) and PostgreSQL
# binaries (the test suite starts a throwaway cluster). Installed with apt when missing and root.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -q "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	{ command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing with apt:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing system packages:$$missing — run: sudo apt-get install$$missing"; exit 1; \
	  fi; \
	fi

lint: install-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache static/vendor assets/node_modules
