"""The run script's backend choice and command lines (no emulator started)."""

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
    assert hvrun.end_status("hv: boot stage failed, returning\n") == hvrun.STATUS_BOOT_FAILED
    assert hvrun.end_status("hv: guest a exited with status 0\n") is None


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
