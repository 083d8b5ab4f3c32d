/* Status codes returned by every kernel that can fail. Kernels never exit or abort:
 * they return one of these and the binding (csrc/python) raises the matching exception. */
#ifndef RESNETC_CORE_STATUS_H
#define RESNETC_CORE_STATUS_H

typedef enum {
    RC_OK = 0,
    RC_ERR_NOMEM,       /* an allocation failed -> MemoryError */
    RC_ERR_ARGUMENT,    /* sizes or options a kernel cannot handle -> ValueError */
    RC_ERR_CORRUPT,     /* malformed input data (an image, a file) -> ValueError */
    RC_ERR_UNSUPPORTED, /* valid input this build cannot handle -> NotImplementedError */
} rc_status;

#endif
