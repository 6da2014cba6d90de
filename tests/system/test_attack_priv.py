"""Privilege and CPU state (issue 7, items 1 and 5), under Bochs, each attack
beside a 100 Hz heartbeat victim whose rate is checked.

Item 1: a ring-3 process of the guest OS (guests/os/user/r3attack.c) makes
hypercalls aimed at its kernel: HC_GUEST_INFO over the kernel's TSS I/O
bitmap (40 bytes of mostly zeros would open ports 0-319 to it) and
HC_CONSOLE of kernel-only memory. The hv answers HC_EPERM and logs the
refusal; the bitmap still refuses port 0x70, so the process dies with #GP.
From ring 3 it also gets #AC (EFLAGS.AC with the kernel's CR0.AM) and #GP
for XSETBV, and only it is killed. A tguest kernel's hypercalls work.

Item 5: tguest `cpustate` (docs/test-guests.md): DR7, DEBUGCTL, MONITOR,
MWAIT, RDPMC, WBINVD, INVD, data and instruction breakpoints; CR8 per
guest across time slices; the #DB storm of CVE-2015-8104 and the #AC storm
of CVE-2015-5307 loop only through the hv's exits and are stopped by their
time_limit_ms while the victim keeps its rate.
"""

import os
import re
import subprocess

import hvtest

OS64 = os.path.join(hvtest.ROOT, "build/guests/os/os64.elf")
HYPERCALL_H = os.path.join(hvtest.ROOT, "include/hypercall.h")
# guests/os/gdt.c struct tss (packed): reserved, rsp[3], reserved, ist[7],
# reserved, reserved, iopb_offset, then the I/O permission bitmap.
TSS_IOPB_OFFSET = 4 + 3 * 8 + 8 + 7 * 8 + 8 + 2 + 2
SECRET = "kernel-only-7b2f"        # first word of the kernel's command line (struct mboot)

PIT_LINE = re.compile(r"pit: IRQ0 (\d+) in (\d+\.\d+) s \(TSC\), rate (\d+\.\d) Hz")


def hc_eperm():
    with open(HYPERCALL_H) as f:
        return int(re.search(r"#define HC_EPERM\s+\((-?\d+)\)", f.read()).group(1))


def kernel_symbol(name):
    """The address of a symbol of the guest OS kernel (it is identity-mapped: also its GPA)."""
    out = subprocess.run(["nm", OS64], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    raise AssertionError("no symbol %s in %s" % (name, OS64))


def tguest(name, cmdline, extra="", memory="16M"):
    return """
    [guest %s]
    image   = \\guests\\tguest.elf
    cmdline = "%s"
    memory  = %s
    %s
    """ % (name, cmdline, memory, extra)


# The victim owns COM1 (unused) so that the hv logs on port 0xE9 only.
VICTIM = tguest("beat", "test=heartbeat hz=100 seconds=2 every=50", "devices = com1")


def assert_victim_kept_its_rate(run):
    m = next((PIT_LINE.search(l) for l in run.console("beat") if PIT_LINE.search(l)), None)
    assert m, run
    assert int(m.group(1)) == 200
    assert 98.0 <= float(m.group(3)) <= 102.0, m.group(0)
    assert "heartbeat done" in run.console("beat")
    assert "hv: guest beat exited with status 0" in run.log, run


def os_guest(script):
    return """
    [guest os]
    image   = \\guests\\os.elf
    cmdline = "%s sched=rr hz=100 console=none -- %s"
    memory  = 32M
    """ % (SECRET, script)


def killed(con, what):
    """The kernel's line for r3attack killed by exception `what`."""
    return [l for l in con if re.match(r"\[os\] pid \d+ \(r3attack\) killed: %s at rip " % what, l)]


def test_ring3_hypercalls_get_eperm_and_ring3_faults_kill_only_the_process(tmp_path):
    iopb = kernel_symbol("gdt_tss") + TSS_IOPB_OFFSET
    kmem = kernel_symbol("mboot")                 # struct mboot: the command line first
    eperm = hc_eperm()
    # The first second of the kernel's boot spends the hv's refusal-line quota on
    # its IDE probe; the attack comes after it, so that each refusal is printed.
    run = hvtest.boot(tmp_path, "[hv]\ntrace = off\n" + os_guest(
        "sleep 1100; run r3attack hc 0x%x 0x%x; sleep 300; run r3attack ac; sleep 200; "
        "run r3attack xsetbv; sleep 200; exit 0" % (iopb, kmem))
        + tguest("hc", "test=hypercall", memory="8M") + VICTIM)
    con = run.console("os")
    assert ("r3attack: HC_GUEST_INFO at 0x%x (kernel I/O bitmap) from ring 3: %d" % (iopb, eperm)) in con, con
    assert ("r3attack: HC_CONSOLE of 64 bytes at 0x%x (kernel memory) from ring 3: %d" % (kmem, eperm)) in con
    assert ("r3attack: HC_VERSION from ring 3: %d" % eperm) in con
    for nr in (4, 2, 0):            # HC_GUEST_INFO, HC_CONSOLE, HC_VERSION
        assert "hv: guest os: hypercall %d from CPL 3 refused (HC_EPERM)" % nr in run.log, run
    # HC_CONSOLE printed nothing of the kernel's memory (its command line starts with SECRET).
    assert not any(l.startswith(SECRET) for l in con), con
    # The I/O bitmap is intact: port 0x70 still faults, and the kernel kills the process.
    i = con.index("r3attack: reading port 0x70 (open only if the bitmap was overwritten)")
    assert killed(con[i + 1:i + 3], "general protection"), con[i:]
    assert not any("NOT KILLED" in l for l in con), con
    # #AC in ring 3 (reflected by the hv) and XSETBV at CPL 3 (#GP) kill only the process.
    i = con.index("r3attack: EFLAGS.AC and a misaligned load in ring 3")
    assert killed(con[i + 1:i + 3], "alignment check"), con[i:]
    i = con.index("r3attack: XSETBV XCR0 = 1 in ring 3")
    assert killed(con[i + 1:i + 3], "general protection"), con[i:]
    assert not any("BUG" in l or "KERNEL PANIC" in l for l in con), con
    assert "hv: guest os exited with status 0" in run.log, run
    # A kernel's hypercalls work (tguest is 32-bit: HC_VERSION and the others).
    hc = run.console("hc")
    assert "hc: version ok" in hc and "hc: 10 checks, 0 failed" in hc, hc
    assert_victim_kept_its_rate(run)
    assert "hv: all guests ended; status 0" in run.log, run


def test_cpu_state_stays_in_each_guest_and_exception_storms_are_contained(tmp_path):
    run = hvtest.boot(tmp_path, "[hv]\ntrace = off\n"
                      + tguest("cs", "test=cpustate")
                      + tguest("cr8a", "test=cpustate part=cr8 val=15 rewrite=1 ms=400")
                      + tguest("cr8b", "test=cpustate part=cr8 val=3 ms=400")
                      + tguest("dbstorm", "test=cpustate part=storm", "time_limit_ms = 500")
                      + tguest("acstorm", "test=cpustate part=acstorm", "time_limit_ms = 500")
                      + VICTIM)
    cs = run.console("cs")
    for check in ("dr7 across exits", "debugctl btf across an exit", "monitor #UD", "mwait #UD",
                  "rdpmc #GP", "wbinvd completes", "invd completes", "data breakpoint #DB",
                  "instruction breakpoint #DB", "instruction breakpoint pushes rf 0"):
        assert "cpustate: %s ok" % check in cs, (check, cs)
    assert "cpustate: 10 checks, 0 failed" in cs, cs
    assert "hv: guest cs exited with status 0" in run.log, run
    # CR8: one guest writes 15 before every read, the other wrote 3 once; each
    # reads only its own value, over many time slices of the other.
    for name, val in (("cr8a", 15), ("cr8b", 3)):
        con = run.console(name)
        m = next(re.match(r"cpustate: cr8 (\d+) reads, (\d+) not %d " % val, l) for l in con
                 if l.startswith("cpustate: cr8 ") and " reads, " in l)
        assert int(m.group(1)) > 100000 and int(m.group(2)) == 0, con
        assert "cpustate: cr8 is the guest's own ok" in con
        assert "hv: guest %s exited with status 0" % name in run.log, run
        assert run.exits(name).get("preemption-timer", 0) >= 10, run.exits(name)
    # The storms: the attackers never complete an instruction, loop only through
    # the hv's exception exits, and are stopped by their watchdogs.
    for name, start in (("dbstorm", "cpustate: storm: #DB on IST1"), ("acstorm", "cpustate: acstorm: ring 3")):
        con = run.console(name)
        assert any(l.startswith(start) for l in con), con
        assert not any("FAIL" in l for l in con), con
        assert "hv: guest %s stopped: time limit of 500 ms reached" % name in run.log, run
        assert run.exits(name).get("exception-or-nmi", 0) >= 1000, run.exits(name)
    assert_victim_kept_its_rate(run)
    assert "hv: all guests ended; status 1" in run.log, run      # two guests were stopped
