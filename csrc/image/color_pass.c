/* The fused color + ToTensor/Normalize pass (see rc_color_to_tensor_u8 in color.h).
 *
 * The image goes planar once; then each row runs through the ops while it is in L1. A contrast
 * op blends towards the mean "L" value of the image as it is just before it, so the ops are cut
 * into segments at each contrast: a segment's pass also sums that row's luma, and the next
 * segment starts with the contrast blend. The last segment writes float32 CHW rows, flipped:
 * flips commute with per-pixel ops and with the mean. */
#include "image/color.h"
#include "image/planes.h"
#include "image/scratch.h"

/* 1 if op changes pixels (rc_adjust_u8 returns early for factor 1, except for hue). */
static int is_active(int op, float factor) { return op == RC_COLOR_HUE || factor != 1.0f; }

static void apply_ops(const rc_plane_kernels *k, uint8_t *r, uint8_t *g, uint8_t *b, int n,
                      const int *ops, const float *factors, int first, int end) {
    for (int i = first; i < end; i++) {
        if (!is_active(ops[i], factors[i])) continue;
        switch (ops[i]) {
        case RC_COLOR_BRIGHTNESS:
            k->blend(r, n, 0, factors[i]);
            k->blend(g, n, 0, factors[i]);
            k->blend(b, n, 0, factors[i]);
            break;
        case RC_COLOR_SATURATION: k->saturation(r, g, b, n, factors[i]); break;
        case RC_COLOR_HUE: k->hue(r, g, b, n, rc_hue_shift(factors[i])); break;
        default: break;  /* contrast: only inactive ones reach here */
        }
    }
}

rc_status rc_color_to_tensor_u8(float *out, const uint8_t *img, int h, int w, int hflip, int vflip,
                                int n_ops, const int *ops, const float *factors, const float *mean,
                                const float *std) {
    const rc_plane_kernels *k = rc_plane_kernels_active();
    size_t plane = (size_t)h * w;
    uint8_t *buf = rc_scratch_acquire(RC_SCRATCH_PLANES, 3 * plane);
    if (!buf) return RC_ERR_NOMEM;
    uint8_t *P[3] = {buf, buf + plane, buf + 2 * plane};
    for (int y = 0; y < h; y++) {
        size_t o = (size_t)y * w;
        k->deinterleave(P[0] + o, P[1] + o, P[2] + o, img + 3 * o, w);
    }
    int first = 0, contrast_base = -1;
    float contrast_factor = 1.0f;
    for (;;) {
        int end = first;
        while (end < n_ops && !(ops[end] == RC_COLOR_CONTRAST && factors[end] != 1.0f)) end++;
        int last = end == n_ops;
        uint64_t luma = 0;
        for (int y = 0; y < h; y++) {
            size_t o = (size_t)y * w;
            uint8_t *r = P[0] + o, *g = P[1] + o, *b = P[2] + o;
            if (contrast_base >= 0)
                for (int c = 0; c < 3; c++) k->blend(P[c] + o, w, contrast_base, contrast_factor);
            apply_ops(k, r, g, b, w, ops, factors, first, end);
            if (!last) {
                luma += k->luma_sum(r, g, b, w);
                continue;
            }
            size_t row = (size_t)(vflip ? h - 1 - y : y) * w;
            for (int c = 0; c < 3; c++)
                k->to_float(out + c * plane + row, P[c] + o, w, mean ? mean[c] : 0.0f, std ? std[c] : 1.0f, hflip);
        }
        if (last) break;
        /* ImageEnhance.Contrast: the mean of the "L" image, rounded */
        contrast_base = (int)((double)luma / (double)plane + 0.5);
        contrast_factor = factors[end];
        first = end + 1;
    }
    rc_scratch_release(RC_SCRATCH_PLANES, buf);
    return RC_OK;
}
