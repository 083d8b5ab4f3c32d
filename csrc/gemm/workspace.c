/* Per-thread grow-only scratch buffers (packing panels, im2col columns), kept in the thread's
 * buffer set (core/thread_buffers.h): OpenMP keeps its worker threads alive, so after the first
 * step of training no call allocates, and a thread that exits frees its buffers. */
#include <omp.h>
#include <stdlib.h>

#include "core/thread_buffers.h"
#include "gemm/gemm.h"

_Static_assert(RC_WS_SLOTS <= RC_THREAD_BUFFER_SLOTS, "workspace slots must fit a thread's set");

float *rc_workspace(int slot, size_t nfloats) {
    rc_thread_buffers *mine = rc_thread_buffers_get(RC_BUFFERS_GEMM);
    if (!mine) return NULL;
    if (nfloats * sizeof(float) <= mine->bytes[slot]) return mine->ptr[slot];
    /* Round up to 64 bytes (aligned_alloc needs a multiple of the alignment) and grow by 1/8
     * more so slowly growing requests do not reallocate each time. */
    size_t want = nfloats + nfloats / 8;
    size_t bytes = (want * sizeof(float) + 63) & ~(size_t)63;
    float *fresh = aligned_alloc(64, bytes);
    if (!fresh) return NULL;
    free(mine->ptr[slot]);
    mine->ptr[slot] = fresh;
    mine->bytes[slot] = bytes;
    return fresh;
}

void rc_workspace_release(void) {
    rc_thread_buffers *mine = rc_thread_buffers_get(RC_BUFFERS_GEMM);
    if (!mine) return;
    for (int s = 0; s < RC_WS_SLOTS; s++) {
        free(mine->ptr[s]);
        mine->ptr[s] = NULL;
        mine->bytes[s] = 0;
    }
}

void rc_workspace_release_all(void) {
    rc_workspace_release();
#pragma omp parallel
    rc_workspace_release();
}
