"""tools/hvcfg against every sample in tests/configs/.

A file whose first line is `# expect: LINE: SUBSTRING` must be rejected with
`FILE:LINE: error: ...SUBSTRING...` and exit status 1; every other file must
be accepted (exit 0, one summary line per guest). Run from the repo root.
"""
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "build" / "tools" / "hvcfg"
CONFIGS = sorted((ROOT / "tests" / "configs").glob("*.cfg"))
EXPECT = re.compile(r"^# expect: (\d+): (.+?)\s*$")


@pytest.fixture(scope="session")
def hvcfg():
    """Builds build/tools/hvcfg (make decides whether it is stale)."""
    subprocess.run(["make", "--no-print-directory", "build/tools/hvcfg"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    assert os.access(TOOL, os.X_OK)
    return TOOL


def expectation(path):
    """Returns (line, substring) for a malformed sample, None for a good one."""
    first = path.read_text().splitlines()[:1]
    m = EXPECT.match(first[0]) if first else None
    return (int(m.group(1)), m.group(2)) if m else None


def run(tool, *args):
    return subprocess.run([str(tool), *args], cwd=ROOT, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_samples_include_good_and_malformed():
    bad = [p for p in CONFIGS if expectation(p)]
    assert len(CONFIGS) - len(bad) >= 2
    assert len(bad) >= 12


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_config_sample(hvcfg, path):
    rel = str(path.relative_to(ROOT))
    r = run(hvcfg, "check", rel)
    exp = expectation(path)
    if exp is None:
        assert r.returncode == 0, r.stderr
        guests = len(re.findall(r"^\[guest ", path.read_text(), re.M))
        assert len(r.stdout.splitlines()) == guests
        return
    line, sub = exp
    assert r.returncode == 1, r.stdout
    prefix = f"{rel}:{line}: error: "
    assert r.stderr.startswith(prefix), r.stderr
    assert sub in r.stderr, r.stderr


def test_mem_limit_rejects_sum_over_limit(hvcfg):
    r = run(hvcfg, "check", "tests/configs/good-two-guests.cfg",
            "--mem-limit", "48M")
    assert r.returncode == 1
    assert "error: guest memory total 64M over limit 48M at guest beta" in r.stderr


def test_mem_limit_accepts_sum_at_limit(hvcfg):
    r = run(hvcfg, "check", "tests/configs/good-two-guests.cfg",
            "--mem-limit", "64M")
    assert r.returncode == 0, r.stderr


def test_summary_names_image_memory_ports_irqs_devices_restart(hvcfg):
    r = run(hvcfg, "check", "tests/configs/good-two-guests.cfg")
    first = r.stdout.splitlines()[0]
    for part in ("guest alpha", r"\guests\os.elf", "memory 32M",
                 "0x3f8-0x3ff", "irqs 4,14", "com1,ide0", "restart no"):
        assert part in first


def test_missing_file_is_usage_error(hvcfg):
    assert run(hvcfg, "check", "tests/configs/no-such.cfg").returncode == 2


def test_bad_usage_exits_2(hvcfg):
    assert run(hvcfg, "frobnicate", "x").returncode == 2
