/* shell.h: the command shell on the serial console (a kernel thread). */
#ifndef OS_SHELL_H
#define OS_SHELL_H

/* Thread body: prompt, read a line, run it, forever. arg is unused. */
void shell_main(void *arg);

#endif
