/* Per-thread scratch buffers (see scratch.h), kept in the thread's buffer set
 * (core/thread_buffers.h), so they are freed when the thread exits (DataLoader worker threads
 * come and go). */
#include "image/scratch.h"

#include <stdlib.h>

#include "core/thread_buffers.h"

_Static_assert(RC_SCRATCH_SLOTS <= RC_THREAD_BUFFER_SLOTS, "scratch slots must fit a thread's set");

void *rc_scratch_acquire(int slot, size_t size) {
    if (size == 0) size = 1;
    rc_thread_buffers *s = size <= RC_SCRATCH_KEEP ? rc_thread_buffers_get(RC_BUFFERS_IMAGE) : NULL;
    if (!s) return malloc(size);
    if (s->bytes[slot] < size) {
        free(s->ptr[slot]);
        s->ptr[slot] = malloc(size);
        s->bytes[slot] = s->ptr[slot] ? size : 0;
    }
    return s->ptr[slot];
}

void rc_scratch_release(int slot, void *ptr) {
    if (!ptr) return;
    rc_thread_buffers *s = rc_thread_buffers_get(RC_BUFFERS_IMAGE);
    if (!s || s->ptr[slot] != ptr) free(ptr);
}
