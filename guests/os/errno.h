/* errno.h: error numbers returned (negated) by system calls and kernel functions. */
#ifndef OS_ERRNO_H
#define OS_ERRNO_H

#define EPERM   1       /* not allowed (e.g. kernel-owned port or IRQ) */
#define ENOENT  2       /* no such program */
#define ESRCH   3       /* no such process */
#define EIO     5       /* device error */
#define EAGAIN  11      /* nothing to take right now */
#define ENOMEM  12      /* out of physical pages or kernel heap */
#define EFAULT  14      /* bad user pointer */
#define EBUSY   16      /* resource owned by someone else */
#define EINVAL  22      /* bad argument */
#define ENOSYS  38      /* unknown system call */
#define ENODEV  19      /* no such device (e.g. no disk) */

#endif
