/* Per-thread grow-only scratch buffers (packing panels, im2col columns). OpenMP keeps its
 * worker threads alive, so after the first step of training no call allocates. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "gemm/gemm.h"

static _Thread_local float *buffers[RC_WS_SLOTS];
static _Thread_local size_t capacity[RC_WS_SLOTS];

float *rc_workspace(int slot, size_t nfloats) {
    if (nfloats <= capacity[slot]) return buffers[slot];
    /* Round up to 64 bytes (aligned_alloc needs a multiple of the alignment) and grow by 1/8
     * more so slowly growing requests do not reallocate each time. */
    size_t want = nfloats + nfloats / 8;
    size_t bytes = (want * sizeof(float) + 63) & ~(size_t)63;
    float *fresh = aligned_alloc(64, bytes);
    if (!fresh) return NULL;
    free(buffers[slot]);
    buffers[slot] = fresh;
    capacity[slot] = bytes / sizeof(float);
    return fresh;
}

void rc_workspace_release(void) {
    for (int s = 0; s < RC_WS_SLOTS; s++) {
        free(buffers[s]);
        buffers[s] = NULL;
        capacity[s] = 0;
    }
}

void rc_workspace_release_all(void) {
    rc_workspace_release();
#pragma omp parallel
    rc_workspace_release();
}
