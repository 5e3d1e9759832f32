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
TEST_STAMP := $(VENV)/.installed-test
SUPPORTED := 3.11, 3.12 or 3.13
# What a person uses: the natural voice, the server, the progress chart, hands-free listening, the
# media keys (MPRIS).
EXTRAS := natural,serve,plot,listen,mpris
# What the tests and the benchmarks add: pytest and its helpers, the browser driver, lint, pydub.
TEST_EXTRAS := $(EXTRAS),dev,bench
# The interpreter: `make setup PYTHON=/path/to/python3.12` chooses one; otherwise python3 when it
# is a supported version, else the newest of python3.13, python3.12 and python3.11 on PATH.
# Each candidate must run (a pyenv shim for a version that is not selected does not).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null \
	&& { $$p -c 'import sys; print(sys.executable)'; break; }; done)
# What voiceguide itself needs (make setup, make demo): espeak-ng (the system voice), ffmpeg (MP3
# and M4B), PortAudio (the player), and a C compiler with the Python and ALSA headers, which build
# simpleaudio (the second output; it ships no wheel). libspeexdsp1 is the echo canceller that lets
# `play --listen` hear through the session's voice: the PulseAudio server and ALSA's plugins pull it
# in, but libpulse0 and libportaudio2 do not, so a machine without a sound server would lack it.
DEB_PACKAGES := espeak-ng ffmpeg libportaudio2 libasound2-dev gcc python3-dev libspeexdsp1
# What the tests add (make test): a PulseAudio server of their own with its clients (pactl, parec,
# pacat) and ALSA's plugin into it, and Debian's chromium for the page's browser tests. Where
# PipeWire serves the PulseAudio interface (pipewire-pulse), pulseaudio is not installed, which
# would put a second sound server beside it: its binary is unpacked into .cache/pulseaudio for the
# tests alone, and only the libraries it needs are installed. dbus (dbus-daemon, dbus-send) and
# playerctl: a private session bus on which the media-key tests drive the player.
TEST_DEB_PACKAGES := pulseaudio-utils libasound2-plugins chromium dbus playerctl
PULSE_UNPACKED := .cache/pulseaudio

.PHONY: help setup system-packages test-packages pulse-unpacked deb-install venv test-venv demo test test-all bench lint clean

help:
	@echo "make demo   export the daily routine and the partner back massage to ./out/"
	@echo "make test   run the whole test suite"
	@echo "make test-all  the suite on Python 3.11, 3.12 and 3.13, each in its own venv"
	@echo "make bench  measure speed and memory, rewrite BENCHMARKS.md"
	@echo "make lint   ruff and mypy"
	@echo "make setup  install what voiceguide needs (Debian packages, .venv); make test adds what the tests need"

setup: system-packages venv

# Installs only what is missing; quiet and quick when everything is there.
system-packages:
	@$(MAKE) --no-print-directory deb-install PACKAGES="$(DEB_PACKAGES)"

test-packages: system-packages
	@if command -v dpkg-query >/dev/null 2>&1 && dpkg-query -W -f='$${Status}' pipewire-pulse 2>/dev/null | grep -q "ok installed"; then \
		$(MAKE) --no-print-directory deb-install PACKAGES="$(TEST_DEB_PACKAGES)" && $(MAKE) --no-print-directory pulse-unpacked; \
	else \
		$(MAKE) --no-print-directory deb-install PACKAGES="$(TEST_DEB_PACKAGES) pulseaudio"; \
	fi

# The pulseaudio binary and its modules, unpacked (never installed) for the tests' own server,
# with the libraries it links to.
pulse-unpacked:
	@if [ ! -x $(PULSE_UNPACKED)/usr/bin/pulseaudio ]; then \
		echo "Unpacking pulseaudio into $(PULSE_UNPACKED) for the tests (PipeWire serves this desktop)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		deps=$$(apt-cache depends --no-recommends --no-suggests pulseaudio | awk '/^ *Depends:/ && $$2 !~ /^</ { print $$2 }'); \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$deps >/dev/null && \
		tmp=$$(mktemp -d) && chmod a+rwx $$tmp && (cd $$tmp && apt-get download pulseaudio >/dev/null) && \
		rm -rf $(PULSE_UNPACKED) && mkdir -p $(PULSE_UNPACKED) && dpkg-deb -x $$tmp/pulseaudio_*.deb $(PULSE_UNPACKED) && \
		rm -rf $$tmp || { echo "could not unpack pulseaudio for the tests"; exit 1; }; \
	fi

deb-install:
	@missing=""; \
	if command -v dpkg-query >/dev/null 2>&1; then \
		for p in $(PACKAGES); do \
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
		for t in espeak-ng ffmpeg ffprobe; do \
			command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; \
		done; \
		if [ -n "$$missing" ]; then \
			echo "This is not a Debian system. Install these with your package manager (see the README's"; \
			echo "\"Installing without make\"): espeak-ng, ffmpeg (with ffprobe), PortAudio, a C compiler and"; \
			echo "the ALSA development headers; for the tests, pulseaudio with its utilities and chromium."; \
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

test-venv: venv
	@if [ ! -f $(TEST_STAMP) ] || [ pyproject.toml -nt $(TEST_STAMP) ] || [ $(STAMP) -nt $(TEST_STAMP) ]; then \
		$(PY) -m pip install -q --disable-pip-version-check -e '.[$(TEST_EXTRAS)]' && touch $(TEST_STAMP); fi

demo: setup
	@$(PY) -m voiceguide export daily-routine partner-back-massage -o out --force
	@echo
	@echo "Play one with:   $(VENV)/bin/voiceguide play out/daily-routine.mp3"
	@echo "Or copy out/ to a phone and open out/voiceguide.m3u8 in any music player."

test: test-packages test-venv
	$(VENV)/bin/voiceguide validate --strict scripts/ $(if $(wildcard ../shared/sources),--sources ../shared/sources)
	$(PY) -m pytest -q $(PARALLEL)

# The whole suite on every supported interpreter found (on PATH, or kept by pyenv), each in a
# .venv of its own (.venv-3.12, ...), then a table of version, tests passed and time.
test-all: test-packages
	@rm -f .test-all.txt; for v in 3.11 3.12 3.13; do \
		py=""; for c in python$$v $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$v.*/bin/python$$v 2>/dev/null | sort -V -r) /usr/bin/python$$v; do \
			$$c -c 'import sys' >/dev/null 2>&1 && { py=$$($$c -c 'import sys; print(sys.executable)'); break; }; done; \
		if [ -z "$$py" ]; then printf '%s\tnot found\t-\n' $$v >> .test-all.txt; continue; fi; \
		$(MAKE) --no-print-directory test-venv VENV=.venv-$$v PYTHON=$$py || { printf '%s\tsetup failed\t-\n' $$v >> .test-all.txt; continue; }; \
		start=$$(date +%s); .venv-$$v/bin/python -m pytest -q -p no:cacheprovider $(PARALLEL) | tee .test-all-$$v.log | tail -1; \
		line=$$(grep -E '[0-9]+ (passed|failed)' .test-all-$$v.log | tail -1); \
		printf '%s\t%s\t%ss\n' "$$($$py -c 'import platform; print(platform.python_version())')" "$$line" $$(( $$(date +%s) - start )) >> .test-all.txt; \
	done; echo; printf 'python\ttests\ttime\n'; cat .test-all.txt; \
	awk -F'\t' '$$2 != "not found" && ($$2 !~ /^[0-9]+ passed/ || $$2 ~ /failed|error/) { bad = 1 } END { exit bad }' .test-all.txt

bench: test-packages test-venv
	$(PY) bench/run.py

lint: test-venv
	$(VENV)/bin/ruff check voiceguide tests bench
	$(VENV)/bin/ruff format --check voiceguide tests bench
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .venv-3.* .test-all* out .pytest_cache .mypy_cache .ruff_cache .cache build dist *.egg-info
