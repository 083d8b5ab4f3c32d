#include "nn/conv.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "gemm/gemm.h"
#include "nn/conv_winograd.h"
#include "nn/im2col_pack.h"

rc_status rc_conv2d_shape_init(rc_conv2d_shape *s) {
    if (s->n < 0 || s->c <= 0 || s->h <= 0 || s->w <= 0 || s->k <= 0 || s->kh <= 0 || s->kw <= 0 ||
        s->stride_h <= 0 || s->stride_w <= 0 || s->pad_h < 0 || s->pad_w < 0 ||
        s->dilation_h <= 0 || s->dilation_w <= 0 || s->groups <= 0 || s->c % s->groups ||
        s->k % s->groups)
        return RC_ERR_ARGUMENT;
    int64_t span_h = s->dilation_h * (s->kh - 1) + 1, span_w = s->dilation_w * (s->kw - 1) + 1;
    if (s->h + 2 * s->pad_h < span_h || s->w + 2 * s->pad_w < span_w) return RC_ERR_ARGUMENT;
    s->oh = (s->h + 2 * s->pad_h - span_h) / s->stride_h + 1;
    s->ow = (s->w + 2 * s->pad_w - span_w) / s->stride_w + 1;
    return RC_OK;
}

static int is_direct(const rc_conv2d_shape *s) {
    return s->kh == 1 && s->kw == 1 && s->stride_h == 1 && s->stride_w == 1 && s->pad_h == 0 &&
           s->pad_w == 0;
}

/* im2col of output rows [oh0, oh1): col is (C*KH*KW, (oh1 - oh0)*OW) with row stride ldcol. */
static void im2col_rows(float *col, int64_t ldcol, const float *img, const rc_conv2d_shape *s,
                        int64_t oh0, int64_t oh1) {
    const int64_t kk = s->kh * s->kw, rows = s->c * kk, cols = (oh1 - oh0) * s->ow;
#pragma omp parallel for schedule(static) if (!omp_in_parallel() && rows * cols > 65536)
    for (int64_t r = 0; r < rows; r++) {
        int64_t c = r / kk, ki = (r % kk) / s->kw, kj = r % s->kw;
        const float *plane = img + c * s->h * s->w;
        int64_t col_off = kj * s->dilation_w - s->pad_w, lo, hi;
        rc_conv_valid_range(col_off, s->stride_w, s->w, s->ow, &lo, &hi);
        for (int64_t oh = oh0; oh < oh1; oh++) {
            float *dst = col + r * ldcol + (oh - oh0) * s->ow;
            int64_t ih = oh * s->stride_h - s->pad_h + ki * s->dilation_h;
            if (ih < 0 || ih >= s->h) {
                memset(dst, 0, (size_t)s->ow * sizeof(float));
                continue;
            }
            const float *src = plane + ih * s->w + col_off;
            for (int64_t ow = 0; ow < lo; ow++) dst[ow] = 0.0f;
            if (s->stride_w == 1) memcpy(dst + lo, src + lo, (size_t)(hi - lo) * sizeof(float));
            else if (s->stride_w == 2) /* a constant stride: vectorised with shuffles */
                for (int64_t ow = lo; ow < hi; ow++) dst[ow] = src[2 * ow];
            else
                for (int64_t ow = lo; ow < hi; ow++) dst[ow] = src[ow * s->stride_w];
            for (int64_t ow = hi; ow < s->ow; ow++) dst[ow] = 0.0f;
        }
    }
}

void rc_im2col(float *col, int64_t ldcol, const float *img, const rc_conv2d_shape *s) {
    im2col_rows(col, ldcol, img, s, 0, s->oh);
}

/* col2im of output rows [oh0, oh1) (col is (C*KH*KW, (oh1 - oh0)*OW), row stride ldcol). Rows
 * [zero_lo, zero_hi) of each plane are zeroed just before the plane's rows land in it (in
 * cache), which spares an overwriting caller a zero-fill pass over the whole gradient. */
static void col2im(float *img, const float *col, int64_t ldcol, const rc_conv2d_shape *s,
                   int64_t oh0, int64_t oh1, int64_t zero_lo, int64_t zero_hi) {
    const int64_t kk = s->kh * s->kw, cols = (oh1 - oh0) * s->ow;
    /* One channel per iteration: all rows (c, ki, kj) that land in plane c, so no races. */
#pragma omp parallel for schedule(static) if (!omp_in_parallel() && s->c * kk * cols > 65536)
    for (int64_t c = 0; c < s->c; c++) {
        float *plane = img + c * s->h * s->w;
        if (zero_hi > zero_lo)
            memset(plane + zero_lo * s->w, 0, (size_t)((zero_hi - zero_lo) * s->w) * sizeof(float));
        for (int64_t ki = 0; ki < s->kh; ki++)
            for (int64_t kj = 0; kj < s->kw; kj++) {
                const float *rowp = col + ((c * s->kh + ki) * s->kw + kj) * ldcol;
                int64_t col_off = kj * s->dilation_w - s->pad_w, lo, hi;
                rc_conv_valid_range(col_off, s->stride_w, s->w, s->ow, &lo, &hi);
                for (int64_t oh = oh0; oh < oh1; oh++) {
                    int64_t ih = oh * s->stride_h - s->pad_h + ki * s->dilation_h;
                    if (ih < 0 || ih >= s->h) continue;
                    float *dst = plane + ih * s->w + col_off;
                    const float *src = rowp + (oh - oh0) * s->ow;
                    if (s->stride_w == 1)
                        for (int64_t ow = lo; ow < hi; ow++) dst[ow] += src[ow];
                    else if (s->stride_w == 2) /* a constant stride: vectorised with shuffles */
                        for (int64_t ow = lo; ow < hi; ow++) dst[2 * ow] += src[ow];
                    else
                        for (int64_t ow = lo; ow < hi; ow++) dst[ow * s->stride_w] += src[ow];
                }
            }
    }
}

void rc_col2im(float *img, const float *col, int64_t ldcol, const rc_conv2d_shape *s) {
    col2im(img, col, ldcol, s, 0, s->oh, 0, 0);
}

/* ------------------------------------------------------------------ scheduling
 * Images are processed in chunks of `chunk_images` side by side in the column buffer, so that a
 * small feature map (7x7 = 49 columns) still gives the GEMM a wide N (>= 512 columns); the
 * chunk's output then goes through a scratch (K, chunk*OH*OW) matrix. Threads either take
 * image ranges (serial GEMMs inside; forward and backward-data hand them out dynamically, the
 * weight gradient statically so its sum order is fixed) or share each GEMM. */
enum { TARGET_COLUMNS = 512 };

static int64_t chunk_images(const rc_conv2d_shape *s, int64_t images) {
    int64_t ohw = s->oh * s->ow, nb = (TARGET_COLUMNS + ohw - 1) / ohw;
    return nb < images ? nb : (images > 0 ? images : 1);
}

/* Images per GEMM in forward and backward-data. With the weights packed once per call, an
 * image alone is wide enough from ONE_IMAGE_COLUMNS output positions (14x14 = 196): no chunk,
 * so no copies into and out of the side-by-side layout, and a 1x1 convolution reads the image
 * in place. */
enum { ONE_IMAGE_COLUMNS = 128 };

static int64_t images_per_product(const rc_conv2d_shape *s, int64_t images, const float *packed) {
    return packed && s->oh * s->ow >= ONE_IMAGE_COLUMNS ? 1 : chunk_images(s, images);
}

/* Whether to give each thread a range of whole images (serial GEMMs) rather than parallelise
 * each GEMM: only when the batch splits evenly enough that no thread idles for long. */
static int images_in_parallel(int64_t n) {
    int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
    return threads > 1 && (n % threads == 0 || n >= 4 * threads);
}

/* Work items for threads that share out whole images: ranges of `per_item` images, as many as
 * possible while each still fills a chunk (TARGET_COLUMNS), so that a thread slowed down (by
 * another process on its core) is made up for by the others taking more items. Per-image
 * results do not depend on which thread computes them, so the split stays deterministic. */
static int64_t images_per_item(const rc_conv2d_shape *s, int threads) {
    int64_t n = s->n, min_images = chunk_images(s, n);
    int64_t items = n / min_images;
    if (items < threads) items = threads;
    items = items / threads * threads; /* whole rounds: no thread idles on the last one */
    return (n + items - 1) / items;
}

/* Copies chunk images' (K, OHW) planes to/from a (K, nb*OHW) matrix. */
static void gather_planes(float *mat, const float *planes, int64_t nb, int64_t k, int64_t ohw) {
    for (int64_t i = 0; i < nb; i++)
        for (int64_t r = 0; r < k; r++)
            memcpy(mat + r * nb * ohw + i * ohw, planes + (i * k + r) * ohw, (size_t)ohw * sizeof(float));
}

static void scatter_planes(float *planes, const float *mat, int64_t nb, int64_t k, int64_t ohw) {
    for (int64_t i = 0; i < nb; i++)
        for (int64_t r = 0; r < k; r++)
            memcpy(planes + (i * k + r) * ohw, mat + r * nb * ohw + i * ohw, (size_t)ohw * sizeof(float));
}

#define RECORD(status, st)                    \
    do {                                      \
        rc_status st_ = (st);                 \
        if (st_ != RC_OK) {                   \
            _Pragma("omp atomic write")       \
            (status) = st_;                   \
        }                                     \
    } while (0)

/* The weights of every group as GEMM operands packed once per call (rc_sgemm_pack_a_all), for
 * all the images' GEMMs: op(A) is W_g (forward) or W_g^T (backward-data). Returns NULL when the
 * workspace cannot grow; the GEMMs then pack the weights themselves. */
static const float *pack_weights(const float *weight, int transpose, const rc_conv2d_shape *s) {
    const int64_t g_out = s->k / s->groups, kdim = s->c / s->groups * s->kh * s->kw;
    const int64_t m = transpose ? kdim : g_out, k = transpose ? g_out : kdim;
    const size_t per_group = rc_sgemm_packed_a_floats(m, k);
    float *panels = rc_workspace(RC_WS_PACKED_WEIGHT, per_group * (size_t)s->groups);
    if (!panels) return NULL;
    for (int64_t g = 0; g < s->groups; g++)
        rc_sgemm_pack_a_all(panels + g * per_group, transpose, m, k, 1.0f, weight + g * g_out * kdim, kdim);
    return panels;
}

/* Output rows per slab of one image's columns: a whole image's columns can outgrow L2 (7.2 MiB
 * for a 3x3 conv of 64 channels at 56x56), so they are made (im2col) or consumed (col2im) a
 * slab of output rows at a time, small enough (SLAB_FLOATS) to stay in cache between im2col and
 * the GEMM's packing, but wide enough (about SLAB_COLUMNS) to keep the GEMM efficient. */
enum { SLAB_FLOATS = 1 << 17, SLAB_COLUMNS = 256 };

static int64_t slab_rows(const rc_conv2d_shape *s) {
    const int64_t kdim = s->c * s->kh * s->kw;
    int64_t rows = SLAB_FLOATS / (kdim * s->ow), min_rows = (SLAB_COLUMNS + s->ow - 1) / s->ow;
    if (rows < min_rows) rows = min_rows;
    /* Whole micro-panels of columns where a slab of fewer rows allows it (4 rows of 56 = 14
     * panels of 16, not 17.5): a partial panel wastes part of its tiles and goes through the
     * GEMM's scalar edge path. */
    const int64_t nr = rc_sgemm_active_config()->nr;
    int64_t step = 1;
    while (step * s->ow % nr) step++;
    if (rows < s->oh && rows >= step) rows -= rows % step;
    return rows < s->oh ? rows : s->oh;
}

/* The forward of images [n, n + nb) as implicit GEMMs with the packed weights, one per group,
 * into dst (K, nb * OH * OW). */
static rc_status forward_implicit(float *dst, const float *img, const float *packed_w,
                                  const float *bias, const rc_conv2d_shape *s, int64_t nb) {
    const int64_t g_in = s->c / s->groups, g_out = s->k / s->groups;
    const int64_t kdim = g_in * s->kh * s->kw, cols = nb * s->oh * s->ow;
    const size_t per_group = rc_sgemm_packed_a_floats(g_out, kdim);
    for (int64_t g = 0; g < s->groups; g++) {
        const rc_im2col_source src = {img, s, g * g_in};
        const rc_sgemm_b_source source = {rc_im2col_pack, &src};
        const float *gbias = bias ? bias + g * g_out : NULL;
        rc_status st = rc_sgemm_prepacked_source(packed_w + g * per_group, g_out, cols, kdim, &source,
                                                 0.0f, dst + g * g_out * cols, cols, gbias,
                                                 gbias ? RC_GEMM_BIAS_ROW : RC_GEMM_NO_BIAS);
        if (st != RC_OK) return st;
    }
    return RC_OK;
}

/* One image's products with its columns, unfolded a slab of output rows at a time (see
 * slab_rows): the forward (dst = out = W @ col + bias) when dy is NULL, else the weight
 * gradient (dst = dweight += dy @ col^T). packed_w is as for forward_images. */
static rc_status products_over_slabs(float *dst, const float *dy, const float *img,
                                     const float *weight, const float *packed_w, const float *bias,
                                     const rc_conv2d_shape *s) {
    const int64_t g_out = s->k / s->groups, kdim = s->c / s->groups * s->kh * s->kw;
    const int64_t ohw = s->oh * s->ow, rows_max = slab_rows(s);
    const size_t per_group = rc_sgemm_packed_a_floats(g_out, kdim);
    float *col = rc_workspace(RC_WS_COL, (size_t)(s->c * s->kh * s->kw * rows_max * s->ow));
    if (!col) return RC_ERR_NOMEM;
    for (int64_t oh0 = 0; oh0 < s->oh; oh0 += rows_max) {
        int64_t oh1 = oh0 + rows_max < s->oh ? oh0 + rows_max : s->oh, cols = (oh1 - oh0) * s->ow;
        im2col_rows(col, cols, img, s, oh0, oh1);
        for (int64_t g = 0; g < s->groups; g++) {
            const float *gcol = col + g * kdim * cols, *gbias = bias ? bias + g * g_out : NULL;
            rc_status st =
                dy ? rc_sgemm(0, 1, g_out, kdim, cols, 1.0f, dy + g * g_out * ohw + oh0 * s->ow, ohw, gcol,
                              cols, 1.0f, dst + g * g_out * kdim, kdim, NULL, RC_GEMM_NO_BIAS)
                   : rc_sgemm_prepacked(packed_w ? packed_w + g * per_group : NULL, 0, 0, g_out, cols, kdim,
                                        1.0f, weight + g * g_out * kdim, kdim, gcol, cols, 0.0f,
                                        dst + g * g_out * ohw + oh0 * s->ow, ohw, gbias,
                                        gbias ? RC_GEMM_BIAS_ROW : RC_GEMM_NO_BIAS);
            if (st != RC_OK) return st;
        }
    }
    return RC_OK;
}

/* Forward for images [n0, n1); packed_w is NULL or from pack_weights(weight, 0, s). */
static rc_status forward_images(float *out, const float *inp, const float *weight,
                                const float *packed_w, const float *bias,
                                const rc_conv2d_shape *s, int64_t n0, int64_t n1) {
    const int64_t g_in = s->c / s->groups, g_out = s->k / s->groups;
    const int64_t kdim = g_in * s->kh * s->kw, hw = s->h * s->w, ohw = s->oh * s->ow;
    const int64_t nb_max = images_per_product(s, n1 - n0, packed_w);
    const float *gbias;
    for (int64_t n = n0; n < n1; n += nb_max) {
        int64_t nb = n1 - n < nb_max ? n1 - n : nb_max, cols = nb * ohw;
        const float *img = inp + n * s->c * hw;
        const float *bmat = img;
        /* Several images of a small map side by side: their columns (10 MiB for eleven 7x7
         * images of 512 channels) fall out of L2 between im2col and packing, so they are packed
         * straight from the images instead (1.07-1.4x on ResNet-50's 7x7 3x3 layers). On large
         * maps the slabbed im2col below stays in L2 and is faster (0.92-0.97x), as it is for a
         * strided 1x1, a plain gather (0.93x). Groups with fewer output channels than a tile
         * is tall keep the GEMM's transposed route, there. */
        if (packed_w && nb > 1 && s->kh * s->kw > 1 && g_out >= rc_sgemm_active_config()->mr) {
            float *chunk_out = rc_workspace(RC_WS_OUT, (size_t)(s->k * cols));
            if (!chunk_out) return RC_ERR_NOMEM;
            rc_status st = forward_implicit(chunk_out, img, packed_w, bias, s, nb);
            if (st != RC_OK) return st;
            scatter_planes(out + n * s->k * ohw, chunk_out, nb, s->k, ohw);
            continue;
        }
        if (nb == 1 && !is_direct(s) && slab_rows(s) < s->oh) {
            rc_status st = products_over_slabs(out + n * s->k * ohw, NULL, img, weight, packed_w, bias, s);
            if (st != RC_OK) return st;
            continue;
        }
        if (!(nb == 1 && is_direct(s))) {
            float *col = rc_workspace(RC_WS_COL, (size_t)(s->c * s->kh * s->kw * cols));
            if (!col) return RC_ERR_NOMEM;
            for (int64_t i = 0; i < nb; i++) rc_im2col(col + i * ohw, cols, img + i * s->c * hw, s);
            bmat = col;
        }
        float *dst = out + n * s->k * ohw;
        if (nb > 1) {
            dst = rc_workspace(RC_WS_OUT, (size_t)(s->k * cols));
            if (!dst) return RC_ERR_NOMEM;
        }
        const size_t per_group = rc_sgemm_packed_a_floats(g_out, kdim);
        for (int64_t g = 0; g < s->groups; g++) {
            gbias = bias ? bias + g * g_out : NULL;
            rc_status st = rc_sgemm_prepacked(packed_w ? packed_w + g * per_group : NULL, 0, 0, g_out,
                                              cols, kdim, 1.0f, weight + g * g_out * kdim, kdim,
                                              bmat + g * kdim * cols, cols, 0.0f, dst + g * g_out * cols,
                                              cols, gbias, gbias ? RC_GEMM_BIAS_ROW : RC_GEMM_NO_BIAS);
            if (st != RC_OK) return st;
        }
        if (nb > 1) scatter_planes(out + n * s->k * ohw, dst, nb, s->k, ohw);
    }
    return RC_OK;
}

rc_status rc_conv2d_forward(float *out, const float *inp, const float *weight, const float *bias,
                            const rc_conv2d_shape *s) {
    rc_status status = RC_OK;
    if (rc_conv2d_winograd_applies(s)) return rc_conv2d_winograd(out, inp, weight, bias, s, 0, 0);
    if (s->groups == s->c && s->groups > 1) {
        rc_conv2d_depthwise_forward(out, inp, weight, bias, s);
        return RC_OK;
    }
    if (!images_in_parallel(s->n)) return forward_images(out, inp, weight, NULL, bias, s, 0, s->n);
    const float *packed_w = pack_weights(weight, 0, s);
    const int64_t per_item = images_per_item(s, omp_get_max_threads());
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t n0 = 0; n0 < s->n; n0 += per_item) {
        int64_t n1 = n0 + per_item < s->n ? n0 + per_item : s->n;
        RECORD(status, forward_images(out, inp, weight, packed_w, bias, s, n0, n1));
    }
    return status;
}

/* Backward-data of one image through slabs of output rows (see slab_rows), accumulating into
 * dimg or overwriting it: then each slab first zeroes the input rows no earlier slab reached. */
static rc_status backward_data_slabs(float *dimg, const float *dy, const float *weight,
                                     const float *packed_wt, const rc_conv2d_shape *s,
                                     int overwrite) {
    const int64_t g_out = s->k / s->groups, kdim = s->c / s->groups * s->kh * s->kw;
    const int64_t ohw = s->oh * s->ow, rows_max = slab_rows(s);
    const size_t per_group = rc_sgemm_packed_a_floats(kdim, g_out);
    float *dcol = rc_workspace(RC_WS_COL, (size_t)(s->c * s->kh * s->kw * rows_max * s->ow));
    if (!dcol) return RC_ERR_NOMEM;
    int64_t zeroed = 0; /* rows [0, zeroed) of every plane are written */
    for (int64_t oh0 = 0; oh0 < s->oh; oh0 += rows_max) {
        int64_t oh1 = oh0 + rows_max < s->oh ? oh0 + rows_max : s->oh, cols = (oh1 - oh0) * s->ow;
        for (int64_t g = 0; g < s->groups; g++) {
            rc_status st = rc_sgemm_prepacked(packed_wt ? packed_wt + g * per_group : NULL, 1, 0, kdim,
                                              cols, g_out, 1.0f, weight + g * g_out * kdim, kdim,
                                              dy + g * g_out * ohw + oh0 * s->ow, ohw, 0.0f,
                                              dcol + g * kdim * cols, cols, NULL, RC_GEMM_NO_BIAS);
            if (st != RC_OK) return st;
        }
        /* Input rows up to which this slab's windows reach; the last slab also owns the rows no
         * window reaches. */
        int64_t reach = oh1 == s->oh ? s->h : (oh1 - 1) * s->stride_h - s->pad_h + (s->kh - 1) * s->dilation_h + 1;
        if (reach > s->h) reach = s->h;
        int64_t zero_hi = overwrite && reach > zeroed ? reach : zeroed;
        col2im(dimg, dcol, cols, s, oh0, oh1, zeroed, zero_hi);
        zeroed = zero_hi;
    }
    return RC_OK;
}

/* Backward-data for images [n0, n1), accumulating into dinp (or overwriting it). */
static rc_status backward_data_images(float *dinp, const float *dout, const float *weight,
                                      const float *packed_wt, const rc_conv2d_shape *s, int64_t n0,
                                      int64_t n1, int overwrite) {
    const int64_t g_in = s->c / s->groups, g_out = s->k / s->groups;
    const int64_t kdim = g_in * s->kh * s->kw, hw = s->h * s->w, ohw = s->oh * s->ow;
    const size_t per_group = rc_sgemm_packed_a_floats(kdim, g_out);
    const int64_t nb_max = images_per_product(s, n1 - n0, packed_wt);
    for (int64_t n = n0; n < n1; n += nb_max) {
        int64_t nb = n1 - n < nb_max ? n1 - n : nb_max, cols = nb * ohw;
        float *dimg = dinp + n * s->c * hw;
        const float *dy = dout + n * s->k * ohw;
        if (nb == 1 && is_direct(s)) {
            /* The image is its own column matrix: W^T dout goes straight into it. */
            for (int64_t g = 0; g < s->groups; g++) {
                /* kdim == g_in here, so the packed W_g^T serves this product too. */
                rc_status st = rc_sgemm_prepacked(packed_wt ? packed_wt + g * per_group : NULL, 1, 0, g_in,
                                                  hw, g_out, 1.0f, weight + g * g_out * kdim, kdim,
                                                  dy + g * g_out * ohw, ohw, overwrite ? 0.0f : 1.0f,
                                                  dimg + g * g_in * hw, hw, NULL, RC_GEMM_NO_BIAS);
                if (st != RC_OK) return st;
            }
            continue;
        }
        if (nb == 1 && slab_rows(s) < s->oh) {
            rc_status st = backward_data_slabs(dimg, dy, weight, packed_wt, s, overwrite);
            if (st != RC_OK) return st;
            continue;
        }
        if (nb > 1) {
            float *gathered = rc_workspace(RC_WS_OUT, (size_t)(s->k * cols));
            if (!gathered) return RC_ERR_NOMEM;
            gather_planes(gathered, dy, nb, s->k, ohw);
            dy = gathered;
        }
        float *dcol = rc_workspace(RC_WS_COL, (size_t)(s->c * s->kh * s->kw * cols));
        if (!dcol) return RC_ERR_NOMEM;
        for (int64_t g = 0; g < s->groups; g++) {
            rc_status st = rc_sgemm_prepacked(packed_wt ? packed_wt + g * per_group : NULL, 1, 0, kdim,
                                              cols, g_out, 1.0f, weight + g * g_out * kdim, kdim,
                                              dy + g * g_out * cols, cols, 0.0f, dcol + g * kdim * cols,
                                              cols, NULL, RC_GEMM_NO_BIAS);
            if (st != RC_OK) return st;
        }
        for (int64_t i = 0; i < nb; i++)
            col2im(dimg + i * s->c * hw, dcol + i * ohw, cols, s, 0, s->oh, 0, overwrite ? s->h : 0);
    }
    return RC_OK;
}

static rc_status backward_data(float *dinp, const float *dout, const float *weight,
                               const rc_conv2d_shape *s, int overwrite) {
    rc_status status = RC_OK;
    if (rc_conv2d_winograd_applies(s)) return rc_conv2d_winograd(dinp, dout, weight, NULL, s, 1, !overwrite);
    if (s->groups == s->c && s->groups > 1) {
        if (overwrite) memset(dinp, 0, (size_t)(s->n * s->c * s->h * s->w) * sizeof(float));
        rc_conv2d_depthwise_backward_data(dinp, dout, weight, s);
        return RC_OK;
    }
    if (!images_in_parallel(s->n))
        return backward_data_images(dinp, dout, weight, NULL, s, 0, s->n, overwrite);
    const float *packed_wt = pack_weights(weight, 1, s);
    const int64_t per_item = images_per_item(s, omp_get_max_threads());
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t n0 = 0; n0 < s->n; n0 += per_item) {
        int64_t n1 = n0 + per_item < s->n ? n0 + per_item : s->n;
        RECORD(status, backward_data_images(dinp, dout, weight, packed_wt, s, n0, n1, overwrite));
    }
    return status;
}

rc_status rc_conv2d_backward_data(float *dinp, const float *dout, const float *weight,
                                  const rc_conv2d_shape *s) {
    return backward_data(dinp, dout, weight, s, 0);
}

rc_status rc_conv2d_backward_data_overwrite(float *dinp, const float *dout, const float *weight,
                                            const rc_conv2d_shape *s) {
    return backward_data(dinp, dout, weight, s, 1);
}

/* dweight += sum over images [n0, n1) of dout_n @ col_n^T. */
static rc_status weight_grad_images(float *dweight, const float *dout, const float *inp,
                                    const rc_conv2d_shape *s, int64_t n0, int64_t n1) {
    const int64_t g_in = s->c / s->groups, g_out = s->k / s->groups;
    const int64_t kdim = g_in * s->kh * s->kw, hw = s->h * s->w, ohw = s->oh * s->ow;
    const int64_t nb_max = chunk_images(s, n1 - n0);
    for (int64_t n = n0; n < n1; n += nb_max) {
        int64_t nb = n1 - n < nb_max ? n1 - n : nb_max, cols = nb * ohw;
        const float *img = inp + n * s->c * hw;
        const float *bmat = img, *dy = dout + n * s->k * ohw;
        if (nb == 1 && !is_direct(s) && slab_rows(s) < s->oh) {
            rc_status st = products_over_slabs(dweight, dy, img, NULL, NULL, NULL, s);
            if (st != RC_OK) return st;
            continue;
        }
        if (!(nb == 1 && is_direct(s))) {
            float *col = rc_workspace(RC_WS_COL, (size_t)(s->c * s->kh * s->kw * cols));
            if (!col) return RC_ERR_NOMEM;
            for (int64_t i = 0; i < nb; i++) rc_im2col(col + i * ohw, cols, img + i * s->c * hw, s);
            bmat = col;
        }
        if (nb > 1) {
            float *gathered = rc_workspace(RC_WS_OUT, (size_t)(s->k * cols));
            if (!gathered) return RC_ERR_NOMEM;
            gather_planes(gathered, dy, nb, s->k, ohw);
            dy = gathered;
        }
        for (int64_t g = 0; g < s->groups; g++) {
            rc_status st = rc_sgemm(0, 1, g_out, kdim, cols, 1.0f, dy + g * g_out * cols, cols,
                                    bmat + g * kdim * cols, cols, 1.0f, dweight + g * g_out * kdim,
                                    kdim, NULL, RC_GEMM_NO_BIAS);
            if (st != RC_OK) return st;
        }
    }
    return RC_OK;
}

rc_status rc_conv2d_backward_weight(float *dweight, float *dbias, const float *dout,
                                    const float *inp, const rc_conv2d_shape *s) {
    const int64_t ohw = s->oh * s->ow;
    const int64_t wsize = s->k * (s->c / s->groups) * s->kh * s->kw;
    rc_status status = RC_OK;
    if (rc_conv2d_winograd_applies(s)) {
        status = rc_conv2d_winograd_backward_weight(dweight, dout, inp, s);
    } else if (!images_in_parallel(s->n)) {
        status = weight_grad_images(dweight, dout, inp, s, 0, s->n);
    } else {
        /* Each thread sums its images into a private buffer (thread 0 straight into dweight),
         * then the buffers are added in, each thread reducing a slice of the weight. */
        int threads = omp_get_max_threads();
        float **partial = calloc((size_t)threads, sizeof(float *));
        if (!partial) return RC_ERR_NOMEM;
#pragma omp parallel num_threads(threads)
        {
            int t = omp_get_thread_num(), nt = omp_get_num_threads();
            float *mine = dweight;
            if (t > 0) {
                mine = rc_workspace(RC_WS_ACCUM, (size_t)wsize);
                if (mine) memset(mine, 0, (size_t)wsize * sizeof(float));
            }
            partial[t] = mine;
            RECORD(status, mine ? weight_grad_images(mine, dout, inp, s, s->n * t / nt,
                                                     s->n * (t + 1) / nt)
                                : RC_ERR_NOMEM);
#pragma omp barrier
            if (status == RC_OK) {
                int64_t lo = wsize * t / nt, hi = wsize * (t + 1) / nt;
                for (int u = 1; u < nt; u++) {
                    const float *src = partial[u];
                    for (int64_t i = lo; i < hi; i++) dweight[i] += src[i];
                }
            }
        }
        free(partial);
    }
    if (dbias && status == RC_OK) {
#pragma omp parallel for schedule(static) if (s->n * s->k * ohw > 65536)
        for (int64_t k = 0; k < s->k; k++) {
            double acc = 0.0;
            for (int64_t n = 0; n < s->n; n++) {
                const float *row = dout + (n * s->k + k) * ohw;
                float part = 0.0f;
                for (int64_t i = 0; i < ohw; i++) part += row[i];
                acc += part;
            }
            dbias[k] += (float)acc;
        }
    }
    return status;
}

void rc_conv2d_forward_naive(float *out, const float *inp, const float *weight, const float *bias,
                             const rc_conv2d_shape *s) {
    const int64_t g_in = s->c / s->groups, g_out = s->k / s->groups;
    for (int64_t n = 0; n < s->n; n++)
        for (int64_t k = 0; k < s->k; k++) {
            int64_t g = k / g_out;
            for (int64_t oh = 0; oh < s->oh; oh++)
                for (int64_t ow = 0; ow < s->ow; ow++) {
                    double acc = bias ? bias[k] : 0.0;
                    for (int64_t ci = 0; ci < g_in; ci++)
                        for (int64_t ki = 0; ki < s->kh; ki++)
                            for (int64_t kj = 0; kj < s->kw; kj++) {
                                int64_t ih = oh * s->stride_h - s->pad_h + ki * s->dilation_h;
                                int64_t iw = ow * s->stride_w - s->pad_w + kj * s->dilation_w;
                                if (ih < 0 || ih >= s->h || iw < 0 || iw >= s->w) continue;
                                acc += (double)inp[((n * s->c + g * g_in + ci) * s->h + ih) * s->w + iw] *
                                       weight[((k * g_in + ci) * s->kh + ki) * s->kw + kj];
                            }
                    out[((n * s->k + k) * s->oh + oh) * s->ow + ow] = (float)acc;
                }
        }
}
