/* rc_im2col_pack's body with AVX2: 32-byte copies of the 64-byte panel rows. */
#include "nn/im2col_pack_body.h"

void rc_im2col_pack_avx2(const void *ctx, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr,
                         int64_t panel_floats, float *bp) {
    im2col_pack_block(ctx, p0, kc, j0, nc, nr, panel_floats, bp);
}
