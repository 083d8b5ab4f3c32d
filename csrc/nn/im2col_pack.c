#include "nn/im2col_pack.h"

#include "core/cpu_features.h"
#include "nn/im2col_pack_body.h"

void rc_im2col_pack_generic(const void *ctx, int64_t p0, int64_t kc, int64_t j0, int64_t nc,
                            int nr, int64_t panel_floats, float *bp) {
    im2col_pack_block(ctx, p0, kc, j0, nc, nr, panel_floats, bp);
}

void rc_im2col_pack(const void *ctx, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr,
                    int64_t panel_floats, float *bp) {
    if (rc_isa_active() >= RC_ISA_AVX2) rc_im2col_pack_avx2(ctx, p0, kc, j0, nc, nr, panel_floats, bp);
    else rc_im2col_pack_generic(ctx, p0, kc, j0, nc, nr, panel_floats, bp);
}
