/* Grow-only buffers owned by the calling thread and freed when it exits (a pthread key's
 * destructor): OpenMP's workers keep theirs for the life of the process, and threads that come
 * and go (DataLoader workers, a user's own threads calling into resnetc) take theirs with them. */
#ifndef RESNETC_CORE_THREAD_BUFFERS_H
#define RESNETC_CORE_THREAD_BUFFERS_H

#include <stddef.h>

enum { RC_THREAD_BUFFER_SLOTS = 16 };

/* Slot i holds ptr[i] (NULL at first), bytes[i] long; its owner allocates and frees it (with
 * malloc/aligned_alloc and free) as it likes, and whatever is left is freed at thread exit. */
typedef struct {
    void *ptr[RC_THREAD_BUFFER_SLOTS];
    size_t bytes[RC_THREAD_BUFFER_SLOTS];
} rc_thread_buffers;

/* owners: who uses which set */
enum { RC_BUFFERS_IMAGE = 0, RC_BUFFERS_GEMM = 1, RC_BUFFER_OWNERS = 2 };

/* The calling thread's set for `owner`, or NULL when it cannot be made (out of memory). */
rc_thread_buffers *rc_thread_buffers_get(int owner);

#endif
