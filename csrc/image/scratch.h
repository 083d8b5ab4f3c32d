/* Per-thread reusable scratch memory for the fused pipeline. A fresh malloc of a few hundred KB
 * is mmap'ed (or trimmed back to the OS when freed) and page-faulted again on every sample;
 * keeping each thread's buffers makes the steady state allocate nothing. Buffers up to
 * RC_SCRATCH_KEEP bytes are kept (freed when the thread exits); larger ones are one-off. */
#ifndef RESNETC_IMAGE_SCRATCH_H
#define RESNETC_IMAGE_SCRATCH_H

#include <stddef.h>

/* slots: who uses which */
enum { RC_SCRATCH_REGION = 0, RC_SCRATCH_RESIZED = 1, RC_SCRATCH_PLANES = 2, RC_SCRATCH_RESAMPLE = 3,
       RC_SCRATCH_SLOTS = 4 };
#define RC_SCRATCH_KEEP ((size_t)16 << 20)

/* A buffer of at least `size` bytes for slot 0..RC_SCRATCH_SLOTS-1 of the calling thread, or NULL
 * if out of memory. Contents are undefined. */
void *rc_scratch_acquire(int slot, size_t size);

/* Ends the use of a buffer from rc_scratch_acquire (frees it if it was a one-off). */
void rc_scratch_release(int slot, void *ptr);

#endif
