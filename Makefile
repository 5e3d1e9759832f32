# voiceguide: make setup | demo | test | bench | lint | clean
# Every target that runs code does its own set-up first, so a bare machine needs only `make demo`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV  ?= .venv
PY    := $(VENV)/bin/python
# The suite runs on one worker a core (at most 4), and one for each of the two groups of tests
# that play sound: those mostly wait for the sound to play in real time.
WORKERS  ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -gt 4 ] && n=4; echo $$((n + 2)))
PARALLEL ?= -n $(WORKERS) --dist loadgroup
STAMP := $(VENV)/.installed
SUPPORTED := 3.11, 3.12 or 3.13
# The package with every optional feature, and what the tests and benchmarks use.
EXTRAS := natural,serve,plot,listen,dev,bench
# The interpreter: `make setup PYTHON=/path/to/python3.12` chooses one; otherwise python3 when it
# is a supported version, else the newest of python3.13, python3.12 and python3.11 on PATH.
# Each candidate must run (a pyenv shim for a version that is not selected does not).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null \
	&& { $$p -c 'import sys; print(sys.executable)'; break; }; done)
DEB_PACKAGES := espeak-ng ffmpeg libasound2-dev libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins gcc python3-dev \
	chromium

.PHONY: help setup system-packages venv demo test test-all bench lint clean

help:
	@echo "make demo   export the daily routine and the partner back massage to ./out/"
	@echo "make test   run the whole test suite"
	@echo "make test-all  the suite on Python 3.11, 3.12 and 3.13, each in its own venv"
	@echo "make bench  measure speed and memory, rewrite BENCHMARKS.md"
	@echo "make lint   ruff and mypy"
	@echo "make setup  install what the project needs (Debian packages, .venv)"

setup: system-packages venv

# Installs only what is missing; quiet and quick when everything is there.
system-packages:
	@missing=""; \
	if command -v dpkg-query >/dev/null 2>&1; then \
		for p in $(DEB_PACKAGES); do \
			dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
		done; \
		if [ -n "$$missing" ]; then \
			echo "Installing Debian packages:$$missing"; \
			if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
			$$SUDO apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null || \
			{ echo "apt-get failed; install these packages yourself:$$missing"; exit 1; }; \
		fi; \
	else \
		for t in espeak-ng ffmpeg ffprobe pulseaudio parec; do \
			command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; \
		done; \
		if [ -n "$$missing" ]; then \
			echo "This is not a Debian system. Install these with your package manager:"; \
			echo "  espeak-ng, ffmpeg (with ffprobe), ALSA development headers (alsa-lib-devel),"; \
			echo "  pulseaudio with its utilities (parec) and the ALSA pulse plugin (alsa-plugins-pulseaudio)."; \
			echo "Missing now:$$missing"; exit 1; \
		fi; \
	fi

# The .venv is made anew when the interpreter changes (its path and version are kept in it).
venv:
	@if [ -z "$(PYTHON)" ]; then \
		echo "voiceguide needs Python $(SUPPORTED): none was found as python3, python3.13, python3.12 or python3.11 (or pass PYTHON=/path/to/python)"; exit 1; fi
	@want="$$($(PYTHON) -c 'import sys; v = sys.version_info; print(sys.executable, *v[:3]) if (3, 11) <= v[:2] <= (3, 13) else sys.exit(1)' 2>/dev/null)" || { \
		echo "voiceguide needs Python $(SUPPORTED); $(PYTHON) is not one of them"; exit 1; }; \
	if [ ! -x $(PY) ] || [ "$$(cat $(VENV)/.python 2>/dev/null)" != "$$want" ]; then \
		echo "Making $(VENV) with $$want"; rm -rf $(VENV) && $(PYTHON) -m venv $(VENV) && echo "$$want" > $(VENV)/.python; fi; \
	if [ ! -f $(STAMP) ] || [ pyproject.toml -nt $(STAMP) ]; then \
		$(PY) -m pip install -q --disable-pip-version-check -e '.[$(EXTRAS)]' && touch $(STAMP); fi
	@# The package is installed in place, so its bytecode is written here (even where
	@# PYTHONDONTWRITEBYTECODE is set): every command starts without compiling it first.
	@$(VENV)/bin/python -m compileall -q voiceguide >/dev/null

demo: setup
	@$(PY) -m voiceguide export daily-routine partner-back-massage -o out --force
	@echo
	@echo "Play one with:   $(VENV)/bin/voiceguide play out/daily-routine.mp3"
	@echo "Or copy out/ to a phone and open out/voiceguide.m3u8 in any music player."

test: setup
	$(VENV)/bin/voiceguide validate --strict scripts/ $(if $(wildcard ../shared/sources),--sources ../shared/sources)
	$(PY) -m pytest -q $(PARALLEL)

# The whole suite on every supported interpreter found (on PATH, or kept by pyenv), each in a
# .venv of its own (.venv-3.12, ...), then a table of version, tests passed and time.
test-all: system-packages
	@rm -f .test-all.txt; for v in 3.11 3.12 3.13; do \
		py=""; for c in python$$v $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$v.*/bin/python$$v 2>/dev/null | sort -V -r) /usr/bin/python$$v; do \
			$$c -c 'import sys' >/dev/null 2>&1 && { py=$$($$c -c 'import sys; print(sys.executable)'); break; }; done; \
		if [ -z "$$py" ]; then printf '%s\tnot found\t-\n' $$v >> .test-all.txt; continue; fi; \
		$(MAKE) --no-print-directory venv VENV=.venv-$$v PYTHON=$$py || { printf '%s\tsetup failed\t-\n' $$v >> .test-all.txt; continue; }; \
		start=$$(date +%s); .venv-$$v/bin/python -m pytest -q -p no:cacheprovider $(PARALLEL) | tee .test-all-$$v.log | tail -1; \
		line=$$(grep -E '[0-9]+ (passed|failed)' .test-all-$$v.log | tail -1); \
		printf '%s\t%s\t%ss\n' "$$($$py -c 'import platform; print(platform.python_version())')" "$$line" $$(( $$(date +%s) - start )) >> .test-all.txt; \
	done; echo; printf 'python\ttests\ttime\n'; cat .test-all.txt; \
	awk -F'\t' '$$2 != "not found" && ($$2 !~ /^[0-9]+ passed/ || $$2 ~ /failed|error/) { bad = 1 } END { exit bad }' .test-all.txt

bench: setup
	$(PY) bench/run.py

lint: setup
	$(VENV)/bin/ruff check voiceguide tests bench
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .venv-3.* .test-all* out .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
