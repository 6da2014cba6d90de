"""The run script's backend choice and command lines (no emulator started)."""

import os
import sys
import time

import hvtest

hvrun = hvtest.hvrun

CPU_VMX = "processor : 0\nflags : fpu vme de pse tsc msr pae vmx ept\n"
CPU_NOVMX = "processor : 0\nflags : fpu vme de pse tsc msr pae hypervisor\n"


def test_no_vmx_flag_means_no_nested_vtx(tmp_path):
    ok, why = hvrun.detect_nested_vtx(CPU_NOVMX, kvm_path=str(tmp_path / "kvm"))
    assert not ok and why == "no vmx flag in /proc/cpuinfo"


def test_missing_dev_kvm_means_no_nested_vtx(tmp_path):
    ok, why = hvrun.detect_nested_vtx(CPU_VMX, kvm_path=str(tmp_path / "kvm"))
    assert not ok and "no " in why and "kvm" in why


def test_nested_parameter_off_means_no_nested_vtx(tmp_path):
    kvm = tmp_path / "kvm"
    kvm.write_text("")
    nested = tmp_path / "nested"
    nested.write_text("N\n")
    ok, why = hvrun.detect_nested_vtx(CPU_VMX, kvm_path=str(kvm), nested_path=str(nested))
    assert not ok and why.startswith("kvm_intel nested=N")


def test_vmx_kvm_and_nested_on_means_nested_vtx(tmp_path):
    kvm = tmp_path / "kvm"
    kvm.write_text("")
    nested = tmp_path / "nested"
    nested.write_text("Y\n")
    assert hvrun.detect_nested_vtx(CPU_VMX, kvm_path=str(kvm), nested_path=str(nested)) == \
        (True, "KVM with nested VT-x")


def test_auto_picks_bochs_and_says_why_when_nested_vtx_is_missing():
    backend, msg = hvrun.choose_backend("auto", detect=lambda: (False, "no vmx flag in /proc/cpuinfo"))
    assert backend == "bochs"
    assert msg == "backend bochs: nested VT-x is missing (no vmx flag in /proc/cpuinfo)"


def test_auto_picks_qemu_when_nested_vtx_works():
    backend, msg = hvrun.choose_backend("auto", detect=lambda: (True, "KVM with nested VT-x"))
    assert backend == "qemu" and "KVM" in msg


def test_qemu_kvm_command_enables_kvm_vmx_and_the_debug_ports():
    cmd = hvrun.qemu_command("/o", "/o/esp.img", kvm=True)
    joined = " ".join(cmd)
    assert cmd[0] == "qemu-system-x86_64"
    assert "-enable-kvm" in cmd and "host,+vmx" in cmd
    assert "isa-debugcon.iobase=0xe9" in joined and "isa-debug-exit,iobase=0xf4" in joined
    assert "OVMF_CODE_4M.fd" in joined
    assert cmd[cmd.index("-machine") + 1] == "pc"          # PIIX, as under Bochs


def test_qemu_tcg_command_has_no_kvm():
    cmd = hvrun.qemu_command("/o", "/o/esp.img", kvm=False)
    assert "-enable-kvm" not in cmd


def test_bochs_config_boots_ovmf_from_the_esp_with_port_e9():
    text = hvrun.bochs_config("/o", "/o/esp.img")
    assert "romimage: file=/usr/share/ovmf/OVMF.fd" in text
    assert "ata0-master: type=disk, path=/o/esp.img" in text
    assert "port_e9_hack: enabled=1" in text and "clock: sync=none" in text


def test_end_status_reads_the_hv_final_lines():
    assert hvrun.end_status("hv: all guests ended; status 0\nhv: halted\n") == 0
    assert hvrun.end_status("hv: all guests ended; status 7\nhv: halted\n") == 7
    assert hvrun.end_status("hv: PANIC: x\n") == hvrun.STATUS_PANIC
    assert hvrun.end_status([], ["hv: boot stage failed, returning"]) == hvrun.STATUS_BOOT_FAILED
    assert hvrun.end_status("hv: guest a exited with status 0\n") is None
    assert hvrun.end_status("hv: all guests ended; status 0\n") is None     # not yet halted


def test_columns_put_each_guest_console_side_by_side():
    out = []
    cols = hvrun.Columns(80, out.append)
    for line in ("hv: guest alpha: 32 MiB RAM at host 0x1000", "hv: guest beta: 8 MiB RAM at host 0x2000",
                 "[alpha] os> ps", "[beta] heartbeat beta 50", "hv: guest beta exited with status 0",
                 "[alpha] " + "x" * 50):
        cols(line)
    assert out[2] == "alpha| os> ps"
    assert out[3] == " " * 40 + "beta| heartbeat beta 50"
    assert out[4] == "hv: guest beta exited with status 0"
    # A line longer than its column wraps inside the column.
    assert out[5] == "alpha| " + "x" * 32 and out[6] == "alpha| " + "x" * 18


# ---- The run script trusts only the hv's own channel (issue 7, item 6) ----

STARTED = "hv: nanokernel started: 2 guest(s), TSC 200000 kHz, heap 8192 KiB at 0x1000000\n"
BOOT = (b"\x1b[2J\x1b[01;01HBdsDxe: starting Boot0001\r\nhv: nanokernel boot stage\r\r\n"
        b"hv: TSC 200000 kHz, ACPI RSDP 0x0; exiting boot services\r\r\n")
FORGED = b"hv: all guests ended; status 0\r\nhv: halted\r\nhv: PANIC: forged\r\nhv: boot stage failed\r\n"


def test_com1_lines_after_the_hv_started_neither_end_nor_fail_the_run():
    log = hvrun.hv_log_lines(STARTED.encode())
    boot = hvrun.boot_stage(BOOT + FORGED, log)
    assert boot == ["hv: nanokernel boot stage", "hv: TSC 200000 kHz, ACPI RSDP 0x0; exiting boot services"]
    assert hvrun.end_status(log, boot) is None
    assert hvrun.end_status(log, boot, exited=True) is None


def test_boot_stage_failure_on_com1_ends_a_run_the_hv_has_not_started():
    com1 = BOOT + b"hv: ExitBootServices failed\r\r\nhv: boot stage failed, returning to the firmware\r\r\n"
    boot = hvrun.boot_stage(com1, [])
    assert boot[-2:] == ["hv: ExitBootServices failed", "hv: boot stage failed, returning to the firmware"]
    assert hvrun.end_status([], boot) == hvrun.STATUS_BOOT_FAILED
    # The same lines once the hv's log has begun are not the boot stage's.
    log = hvrun.hv_log_lines(STARTED.encode())
    assert hvrun.end_status(log, hvrun.boot_stage(com1, log)) is None


def test_guest_console_lines_cannot_start_an_hv_line_with_other_line_breaks():
    breaks = [b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9",
              b"\xc0\x8a", b"\xff", b"\r"]
    e9 = STARTED.encode() + b"".join(b"[evil] x" + br + b"hv: all guests ended; status 0\n" for br in breaks)
    e9 += b"[evil] x\x0bhv: halted\n"
    log = hvrun.hv_log_lines(e9)
    assert len(log) == 1 + len(breaks) + 1
    assert all(l.startswith("[evil] x") for l in log[1:]), log
    assert hvrun.end_status(log) is None and hvrun.end_status("\n".join(log)) is None
    assert "[evil] x\\xc0\\x8ahv: all guests ended; status 0" in log     # bad UTF-8 kept visible
    assert "[evil] x\rhv: all guests ended; status 0" in log               # only a trailing \r goes


def test_run_status_comes_from_the_hv_end_line_after_a_guest_forged_one(tmp_path, monkeypatch):
    shown = []
    status, elapsed = fake_run(tmp_path, monkeypatch, shown, """
        com1(BOOT)
        e9(STARTED + "hv: guest evil: 16 MiB RAM at host 0x2000000, entry 0x100000\\n")
        time.sleep(0.6)
        com1(FORGED)
        e9("[evil] hv: all guests ended; status 0\\n[evil] x\\x0bhv: halted\\n[evil] \\x1b]0;pwned\\x07\\n")
        time.sleep(1.0)
        e9("hv: guest evil exited with status 3\\nhv: all guests ended; status 3\\nhv: halted\\n")
        time.sleep(60)
    """)
    assert status == 3 and elapsed >= 1.6, (status, elapsed, shown)
    assert (tmp_path / "status").read_text() == "3\n"
    assert not [l for l in shown if l.startswith("hv: all guests ended; status 0")], shown
    assert shown[:2] == ["hv: nanokernel boot stage", "hv: TSC 200000 kHz, ACPI RSDP 0x0; exiting boot services"]
    assert "[evil] x\\x0bhv: halted" in shown and "[evil] \\x1b]0;pwned\\x07" in shown, shown
    assert shown[-2:] == ["hv: all guests ended; status 3", "hv: halted"]


def test_run_ends_with_the_hv_status_when_qemu_exits_at_the_status_write(tmp_path, monkeypatch):
    # QEMU's isa-debug-exit stops the emulator at the hv's write of its status to
    # port 0xF4, before "hv: halted" (hv_shutdown): exit code status * 2 + 1.
    status, _ = fake_run(tmp_path, monkeypatch, [], """
        com1(BOOT)
        e9(STARTED + "hv: all guests ended; status 0\\n")
        sys.exit(1)
    """)
    assert status == 0


def test_run_stops_on_a_boot_stage_failure(tmp_path, monkeypatch):
    status, elapsed = fake_run(tmp_path, monkeypatch, [], """
        com1(b"hv: nanokernel boot stage\\r\\r\\nhv: cannot start: CPU has no VT-x (VMX)\\r\\r\\n"
             b"hv: boot stage failed, returning to the firmware\\r\\r\\n")
        time.sleep(60)
    """)
    assert status == hvrun.STATUS_BOOT_FAILED and elapsed < 30


def test_snapshot_reads_com1_before_the_hv_log(tmp_path, monkeypatch):
    # If the hv's log, read second, has not begun, no guest can have written com1 yet.
    order = []
    monkeypatch.setattr(hvrun, "read_bytes", lambda p: order.append(os.path.basename(p)) or b"")
    hvrun.snapshot(str(tmp_path))
    assert order == ["com1.txt", "e9.log"]


FAKE_EMULATOR = """
import sys, time
sys.path.insert(0, %r)
from test_hvrun import BOOT, FORGED, STARTED

def write(name, data):
    with open(name, "ab") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def com1(data):
    write("com1.txt", data)

def e9(data):
    write("e9.log", data)
"""


def fake_run(tmp_path, monkeypatch, shown, script):
    """Runs hvrun.run with a Python script in place of the emulator, writing
    com1.txt and e9.log in the run's folder, the lines it streams rendered by
    the line layout into shown; returns (status, seconds)."""
    body = FAKE_EMULATOR % os.path.dirname(__file__) + "\n".join(l.strip() for l in script.split("\n"))
    cmd = [sys.executable, "-c", body]
    monkeypatch.setattr(hvrun, "prepare", lambda backend, out, esp, cpus=1: (cmd, os.path.join(out, "emulator.out")))
    t0 = time.monotonic()
    status = hvrun.run("bochs", str(tmp_path / "esp.img"), str(tmp_path), timeout=30,
                       stream=hvrun.Lines(shown.append))
    return status, time.monotonic() - t0


# ---- Guest output reaches the terminal with its control characters made visible ----

def test_visible_writes_out_controls_separators_and_bidi_overrides():
    assert hvrun.visible("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert hvrun.visible("\x07\x7f\x85\u2028\u2029\u202e\ufeff") == "\\x07\\x7f\\x85\\u2028\\u2029\\u202e\\ufeff"
    assert hvrun.visible("\U000e0001") == "\\U000e0001"
    assert hvrun.visible("plain text, é ü 中文 \\ ok") == "plain text, é ü 中文 \\ ok"


def test_line_layout_shows_escape_sequences_visibly():
    out = []
    lines = hvrun.Lines(out.append)
    lines("[evil] \x1b]0;title\x07")
    lines("[evil] \x1b[2J\tend")                 # tabs stop by the columns shown
    assert out == ["[evil] \\x1b]0;title\\x07", "[evil] \\x1b[2J  end"]


def test_columns_show_escape_sequences_visibly():
    out = []
    cols = hvrun.Columns(80, out.append)
    for line in ("hv: guest evil: 16 MiB RAM at host 0x1000", "hv: guest beta: 8 MiB RAM at host 0x2000",
                 "[evil] \x1b[2J\x1b[31mred", "[other] \x1b[H", "hv: guest evil stopped: \x9b"):
        cols(line)
    assert out[2] == "evil| \\x1b[2J\\x1b[31mred"
    assert out[3] == "[other] \\x1b[H"                       # a guest not declared: a full-width line
    assert out[4] == "hv: guest evil stopped: \\x9b"
    assert not [c for l in out for c in l if ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0]


def test_main_shows_what_the_emulator_said_when_it_stopped_by_itself(tmp_path, monkeypatch, capsys):
    def fake(backend, esp, out, timeout, stream, cpus=1):
        (tmp_path / "emulator.out").write_bytes(b"qemu-system-x86_64: failed to initialize kvm\x1b[2J\n")
        return hvrun.STATUS_EMULATOR_DIED
    monkeypatch.setattr(hvrun, "run", fake)
    assert hvrun.main(["--backend", "qemu", "--batch", "--out", str(tmp_path)]) == 4
    out = capsys.readouterr().out.split("\n")
    assert "run:   qemu-system-x86_64: failed to initialize kvm\\x1b[2J" in out
    assert out[-2] == "run: finished with status 4"


# ---- tools/run --check-host, with the host's facts given ----

CPU_INTEL_VM = ("vendor_id : GenuineIntel\nmodel name : Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz\n"
                "flags : fpu vme pae hypervisor\n")
CPU_AMD = "vendor_id : AuthenticAMD\nmodel name : AMD EPYC 7B13\nflags : fpu pae svm hypervisor\n"
CPU_VMX_NO_EPT = CPU_VMX + "vmx flags : vnmi preemption_timer invvpid tsc_offset vtpr\n"


class Host:
    """Fake host facts for check_host: programs and files present, /dev/kvm, kvm_intel parameters."""

    def __init__(self, tmp_path, cpuinfo=CPU_VMX, kvm=True, rw=True, params=None,
                 missing=()):
        self.tmp, self.cpuinfo, self.rw, self.missing = tmp_path, cpuinfo, rw, set(missing)
        self.kvm = tmp_path / "kvm"
        if kvm:
            self.kvm.write_text("")
        self.params = tmp_path / "parameters"
        if params is not None:
            self.params.mkdir()
            for name, value in params.items():
                (self.params / name).write_text(value + "\n")

    def check(self):
        return hvrun.check_host(
            self.cpuinfo, kvm_path=str(self.kvm), nested_path=str(self.params / "nested"),
            access=lambda p, mode: self.rw,
            which=lambda name: None if name in self.missing else "/usr/bin/" + name,
            exists=lambda path: path not in self.missing, kernel="6.1.0-test",
            qemu_version=lambda path: "QEMU emulator version 7.2.0")


def lacks(lines):
    """Returns {what is lacking: its fix} from check_host's lines."""
    out = {}
    for a, b in zip(lines, lines[1:] + [""]):
        if a.startswith("  lacks: "):
            out[a[len("  lacks: "):]] = b.strip()[len("fix: "):] if b.strip().startswith("fix: ") else None
    return out


def test_check_host_with_nested_kvm_says_qemu_works_and_make_run_uses_it(tmp_path):
    status, lines = Host(tmp_path, params={"nested": "Y", "ept": "Y", "unrestricted_guest": "Y"}).check()
    assert status == 0, lines
    assert lines[0] == "host: CPU unknown; Linux 6.1.0-test; QEMU QEMU emulator version 7.2.0"
    assert "qemu (QEMU with KVM and nested VT-x: fast): works" in lines
    assert "  have:  kvm_intel nested=Y" in lines and lacks(lines) == {}
    assert "make run would use: backend qemu: KVM with nested VT-x" in lines
    assert lines[-1] == "check-host: VT-x code can run here (qemu, bochs)"


def test_check_host_in_a_vm_without_vtx_names_the_outer_hypervisor_and_falls_back_to_bochs(tmp_path):
    status, lines = Host(tmp_path, cpuinfo=CPU_INTEL_VM, kvm=False).check()
    assert status == 0, lines
    assert lines[0].startswith("host: CPU Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz; ")
    fixes = lacks(lines)
    assert fixes["no vmx flag in /proc/cpuinfo"] == (
        "the CPU or the outer hypervisor does not expose VT-x: enable nested virtualisation "
        "in the outer hypervisor (docs/nested-kvm.md)")
    assert fixes["no %s" % (tmp_path / "kvm")] == "once the vmx flag is there: sudo modprobe kvm_intel nested=1"
    assert "qemu (QEMU with KVM and nested VT-x: fast): does not work" in lines
    assert "bochs (Bochs, VT-x emulated: slower, runs anywhere): works" in lines
    assert "make run would use: backend bochs: nested VT-x is missing (no vmx flag in /proc/cpuinfo)" in lines


def test_check_host_gives_the_exact_fix_for_nested_off_and_kvm_permissions(tmp_path):
    status, lines = Host(tmp_path, rw=False, params={"nested": "N"}).check()
    fixes = lacks(lines)
    assert fixes["kvm_intel nested=N (load it with nested=1)"] == (
        "sudo modprobe -r kvm_intel && sudo modprobe kvm_intel nested=1 (stop running VMs first); "
        "to keep it: echo \"options kvm_intel nested=1\" | sudo tee /etc/modprobe.d/kvm-nested.conf")
    assert fixes["no read/write access to %s" % (tmp_path / "kvm")] == \
        "sudo usermod -aG kvm $USER, then log out and in again"
    assert status == 0                                      # Bochs still works


def test_check_host_names_missing_ept_and_unrestricted_guest(tmp_path):
    status, lines = Host(tmp_path, cpuinfo=CPU_VMX_NO_EPT,
                         params={"nested": "1", "ept": "N", "unrestricted_guest": "Y"}).check()
    fixes = lacks(lines)
    assert "no ept in the vmx flags of /proc/cpuinfo" in fixes
    assert "no unrestricted_guest in the vmx flags of /proc/cpuinfo" in fixes
    assert fixes["kvm_intel ept=N"] == "sudo modprobe -r kvm_intel && sudo modprobe kvm_intel nested=1 ept=1"
    assert "make run would use: backend bochs: nested VT-x is missing (no ept in the vmx flags " \
        "of /proc/cpuinfo)" in lines


def test_check_host_fails_with_apt_get_lines_when_no_vtx_backend_works(tmp_path):
    status, lines = Host(tmp_path, cpuinfo=CPU_AMD, kvm=False,
                         missing=("bochs", hvrun.VGABIOS, hvrun.OVMF_CODE)).check()
    assert status == 1, lines
    fixes = lacks(lines)
    assert fixes["no vmx flag in /proc/cpuinfo"].startswith("this is an AMD CPU: the hv needs Intel VT-x")
    assert fixes["no bochs"] == "sudo apt-get install bochs bochsbios"
    assert fixes["no " + hvrun.VGABIOS] == "sudo apt-get install vgabios"
    assert fixes["no " + hvrun.OVMF_CODE] == "sudo apt-get install ovmf"
    assert "bochs (Bochs, VT-x emulated: slower, runs anywhere): does not work" in lines
    assert "make run would use: backend bochs: nested VT-x is missing (no vmx flag in /proc/cpuinfo) " \
        "(it lacks what is listed above)" in lines
    assert lines[-1].startswith("check-host: no backend here can run VT-x code")


def test_check_host_without_mtools_fails_every_backend(tmp_path):
    status, lines = Host(tmp_path, params={"nested": "Y"}, missing=("mformat",)).check()
    assert status == 1, lines
    assert lacks(lines)["no mformat"] == "sudo apt-get install mtools"
    assert "bochs (Bochs, VT-x emulated: slower, runs anywhere): does not work" in lines


def test_run_check_host_exits_with_the_check_status(monkeypatch, capsys):
    monkeypatch.setattr(hvrun, "check_host", lambda: (1, ["host: x", "check-host: no backend"]))
    assert hvrun.main(["--check-host"]) == 1
    assert capsys.readouterr().out == "host: x\ncheck-host: no backend\n"
