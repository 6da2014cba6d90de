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


def fadt(pm_base=0x600, checksum_ok=True):
    """A revision 3 FADT (244 bytes) like QEMU's q35 one: PM1a event and control,
    PM timer, GPE0, SMI_CMD 0xb2, RESET_REG 0xcf9 in system I/O space."""
    import struct
    t = bytearray(244)
    t[0:4] = b"FACP"
    struct.pack_into("<IB", t, 4, len(t), 3)
    struct.pack_into("<I", t, 48, 0xb2)                          # SMI_CMD
    struct.pack_into("<I", t, 56, pm_base)                       # PM1a_EVT_BLK
    struct.pack_into("<I", t, 64, pm_base + 4)                   # PM1a_CNT_BLK
    struct.pack_into("<I", t, 76, pm_base + 8)                   # PM_TMR_BLK
    struct.pack_into("<I", t, 80, pm_base + 0x20)                # GPE0_BLK
    t[88:93] = bytes([4, 2, 0, 4, 16])                           # their lengths
    struct.pack_into("<BBBBQ", t, 116, 1, 8, 0, 1, 0xcf9)        # RESET_REG
    t[9] = (-sum(t)) & 0xff if checksum_ok else (1 - sum(t)) & 0xff
    return bytes(t)


def write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return str(p)


GUESTS_WITH_PORTS = """[guest a]
image = \\guests\\tguest.elf
memory = 4M
ports = 0x3e8-0x3ef

[guest b]
image = \\guests\\tguest.elf
memory = 4M
ports = %s
"""


def test_fadt_option_refuses_pm_ports_naming_line_and_cause(hvcfg, tmp_path):
    table = write(tmp_path, "FACP", fadt())
    cfg = write(tmp_path, "hv.cfg", GUESTS_WITH_PORTS % "0x2e8, 0x600-0x6ff")
    r = run(hvcfg, "check", cfg, "--fadt", table)
    assert r.returncode == 1, r.stdout
    assert r.stderr == ("%s:9: error: port 0x600 is ACPI PM1a event (FADT) and acts on the "
                        "whole machine\n" % cfg), r.stderr
    cfg = write(tmp_path, "hv2.cfg", GUESTS_WITH_PORTS % "0x604")
    r = run(hvcfg, "check", cfg, "--fadt", table)
    assert "hv2.cfg:9: error: port 0x604 is ACPI PM1a control (FADT) and acts on the whole machine" \
        in r.stderr
    # Without the table the same file passes: these ports are this machine's, not fixed.
    assert run(hvcfg, "check", cfg).returncode == 0


def test_fadt_option_accepts_config_clear_of_pm_ports(hvcfg, tmp_path):
    table = write(tmp_path, "FACP", fadt(pm_base=0xb000))
    cfg = write(tmp_path, "hv.cfg", GUESTS_WITH_PORTS % "0x600-0x6ff")
    r = run(hvcfg, "check", cfg, "--fadt", table, "--mem-limit", "8M")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 2


def test_fadt_option_with_bad_table_names_the_defect(hvcfg, tmp_path):
    table = write(tmp_path, "FACP", fadt(checksum_ok=False))
    cfg = write(tmp_path, "hv.cfg", GUESTS_WITH_PORTS % "0x2e8")
    r = run(hvcfg, "check", cfg, "--fadt", table)
    assert r.returncode == 2
    assert r.stderr == "%s: error: FADT checksum bad\n" % table
    r = run(hvcfg, "check", cfg, "--fadt", write(tmp_path, "short", fadt()[:100]))
    assert r.returncode == 2 and "FADT length 244 beyond the 100 bytes readable" in r.stderr
