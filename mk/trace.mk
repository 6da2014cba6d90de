# The log and the VM-exit trace with several CPUs (issue 11 item 4): host
# tests of the hv's log (lines whole, tagged per CPU) and of the per-CPU
# trace rings and their merge (tests/unit/hvhost), and the libFuzzer target
# of the trace writer and its merge. Named to sort after hvhost.mk and
# fuzz.mk: it uses hvhost_test and fuzz_target.

$(eval $(call hvhost_test,test_log))
$(eval $(call hvhost_test,test_trace))
$(eval $(call fuzz_target,trace,hv/tracer.c hv/log.c hv/percpu.c lib/fmt.c))
