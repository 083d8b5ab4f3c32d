#include "nn/bottleneck.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/activation.h"
#include "nn/batchnorm.h"
#include "nn/conv_winograd.h"

/* Elementwise passes run serially below this many (n, c) planes' worth of work. */
#define RC_BLOCK_PARALLEL_MIN 32768

static int64_t out_size(const rc_conv2d_shape *c) { return c->n * c->k * c->oh * c->ow; }
static int64_t out_plane(const rc_conv2d_shape *c) { return c->oh * c->ow; }

/* The per-channel affine map of rc_batchnorm_forward: bn(y) = (y - mean) * scale + shift,
 * with scale rounded from double exactly as there, so the block matches the separate layers. */
static float bn_scale(const rc_bottleneck_params *p, const rc_bottleneck_saved *sv, int layer, int64_t c) {
    double invstd = 1.0 / sqrt((double)sv->var[layer][c] + (double)p->eps[layer]);
    return (float)((double)p->gamma[layer][c] * invstd);
}

/* A layer's BN + ReLU for the next convolution to apply to its input as it reads it, where
 * that convolution runs by Winograd: its output is then never stored (a memory pass less each
 * way). scale receives the layer's C scales. */
static rc_conv_input_bn_relu input_bn_relu(float *scale, const rc_bottleneck_params *p,
                                           const rc_bottleneck_saved *sv, int layer, int64_t C) {
    for (int64_t ch = 0; ch < C; ch++) scale[ch] = bn_scale(p, sv, layer, ch);
    return (rc_conv_input_bn_relu){sv->mean[layer], scale, p->beta[layer]};
}

/* out = relu(bn(y)) for one layer; out may alias y. */
static void bn_relu(float *out, const float *y, const rc_bottleneck_params *p, const rc_bottleneck_saved *sv,
                    int layer, const rc_conv2d_shape *c) {
    const int64_t N = c->n, C = c->k, HW = out_plane(c);
#pragma omp parallel for collapse(2) schedule(static) if (N * C * HW >= RC_BLOCK_PARALLEL_MIN)
    for (int64_t n = 0; n < N; n++) {
        for (int64_t ch = 0; ch < C; ch++) {
            const float m = sv->mean[layer][ch], scale = bn_scale(p, sv, layer, ch), shift = p->beta[layer][ch];
            const float *src = y + (n * C + ch) * HW;
            float *dst = out + (n * C + ch) * HW;
            for (int64_t i = 0; i < HW; i++) {
                float v = (src[i] - m) * scale + shift;
                dst[i] = (v > 0.0f || v != v) ? v : 0.0f; /* NaN kept, as rc_relu_forward */
            }
        }
    }
}

/* out = relu(bn3(y3) + residual), residual = bnd(yd) when yd is given, else x.
 * out may alias y3 or yd. */
static void bn_add_relu(float *out, const float *y3, const float *yd, const float *x, const rc_bottleneck_params *p,
                        const rc_bottleneck_saved *sv, const rc_conv2d_shape *c) {
    const int64_t N = c->n, C = c->k, HW = out_plane(c);
#pragma omp parallel for collapse(2) schedule(static) if (N * C * HW >= RC_BLOCK_PARALLEL_MIN)
    for (int64_t n = 0; n < N; n++) {
        for (int64_t ch = 0; ch < C; ch++) {
            const int64_t base = (n * C + ch) * HW;
            const float m = sv->mean[RC_BLOCK_CONV3][ch], scale = bn_scale(p, sv, RC_BLOCK_CONV3, ch);
            const float shift = p->beta[RC_BLOCK_CONV3][ch];
            if (yd) {
                const float md = sv->mean[RC_BLOCK_DOWN][ch], scaled = bn_scale(p, sv, RC_BLOCK_DOWN, ch);
                const float shiftd = p->beta[RC_BLOCK_DOWN][ch];
                for (int64_t i = 0; i < HW; i++) {
                    float v = ((y3[base + i] - m) * scale + shift) + ((yd[base + i] - md) * scaled + shiftd);
                    out[base + i] = (v > 0.0f || v != v) ? v : 0.0f;
                }
            } else {
                for (int64_t i = 0; i < HW; i++) {
                    float v = ((y3[base + i] - m) * scale + shift) + x[base + i];
                    out[base + i] = (v > 0.0f || v != v) ? v : 0.0f;
                }
            }
        }
    }
}

/* The statistics layer `layer` normalises with, and torch's running-statistics update:
 * running = (1 - momentum) * running + momentum * batch (unbiased variance), in float32 with
 * the rounding steps of resnetc.nn.functional.batch_norm. */
static void layer_stats(const float *y, const rc_bottleneck_params *p, const rc_bottleneck_saved *sv, int layer,
                        const rc_conv2d_shape *c, int batch_stats) {
    const int64_t C = c->k, count = c->n * out_plane(c);
    if (!batch_stats) {
        memcpy(sv->mean[layer], p->running_mean[layer], (size_t)C * sizeof(float));
        memcpy(sv->var[layer], p->running_var[layer], (size_t)C * sizeof(float));
        return;
    }
    rc_batchnorm_stats(sv->mean[layer], sv->var[layer], y, c->n, C, out_plane(c));
    float *rm = p->running_mean[layer], *rv = p->running_var[layer];
    if (!rm || !rv) return;
    const float m = p->momentum[layer], keep = 1.0f - m;
    const float unbias = (float)((double)count / (double)(count - 1));
    for (int64_t ch = 0; ch < C; ch++) {
        float scaled_mean = m * sv->mean[layer][ch];
        float scaled_var = m * (sv->var[layer][ch] * unbias);
        rm[ch] = rm[ch] * keep + scaled_mean;
        rv[ch] = rv[ch] * keep + scaled_var;
    }
}

static int chains(const rc_conv2d_shape *from, const rc_conv2d_shape *to) {
    return from->n == to->n && from->k == to->c && from->oh == to->h && from->ow == to->w;
}

rc_status rc_bottleneck_check(const rc_bottleneck_shape *s) {
    const rc_conv2d_shape *c1 = &s->conv[RC_BLOCK_CONV1], *c3 = &s->conv[RC_BLOCK_CONV3];
    if (!chains(c1, &s->conv[RC_BLOCK_CONV2]) || !chains(&s->conv[RC_BLOCK_CONV2], c3)) return RC_ERR_ARGUMENT;
    if (s->has_downsample) {
        const rc_conv2d_shape *d = &s->conv[RC_BLOCK_DOWN];
        if (d->n != c1->n || d->c != c1->c || d->h != c1->h || d->w != c1->w || d->k != c3->k ||
            d->oh != c3->oh || d->ow != c3->ow)
            return RC_ERR_ARGUMENT;
    } else if (c1->c != c3->k || c1->h != c3->oh || c1->w != c3->ow) {
        return RC_ERR_ARGUMENT;
    }
    return RC_OK;
}

#define TRY(call)                  \
    do {                           \
        status = (call);           \
        if (status != RC_OK) goto done; \
    } while (0)

static float *alloc_floats(int64_t n) { return malloc((size_t)(n > 0 ? n : 1) * sizeof(float)); }

rc_status rc_bottleneck_forward(float *out, const float *x, const rc_bottleneck_shape *s,
                                const rc_bottleneck_params *p, const rc_bottleneck_saved *sv, int batch_stats) {
    const rc_conv2d_shape *c1 = &s->conv[RC_BLOCK_CONV1], *c2 = &s->conv[RC_BLOCK_CONV2];
    const rc_conv2d_shape *c3 = &s->conv[RC_BLOCK_CONV3], *cd = &s->conv[RC_BLOCK_DOWN];
    rc_status status = RC_OK;
    /* Saved conv outputs are kept for backward; without them (inference) each BN + ReLU runs
     * in place over its conv's output, and conv3 writes straight into out. A Winograd conv2
     * applies BN1 + ReLU itself, so a1 is then needed only as y1's room in inference. */
    const int fused_bn1 = rc_conv2d_winograd_applies(c2);
    const int need_a1 = !fused_bn1 || !sv->y[RC_BLOCK_CONV1];
    float *a1 = need_a1 ? alloc_floats(out_size(c1)) : NULL;
    float *a2 = alloc_floats(out_size(c2)), *scale1 = NULL, *yd_scratch = NULL;
    if ((need_a1 && !a1) || !a2) TRY(RC_ERR_NOMEM);
    float *y1 = sv->y[RC_BLOCK_CONV1] ? sv->y[RC_BLOCK_CONV1] : a1;
    float *y2 = sv->y[RC_BLOCK_CONV2] ? sv->y[RC_BLOCK_CONV2] : a2;
    float *y3 = sv->y[RC_BLOCK_CONV3] ? sv->y[RC_BLOCK_CONV3] : out;

    TRY(rc_conv2d_forward(y1, x, p->weight[RC_BLOCK_CONV1], NULL, c1));
    layer_stats(y1, p, sv, RC_BLOCK_CONV1, c1, batch_stats);
    if (fused_bn1) {
        if (!(scale1 = alloc_floats(c1->k))) TRY(RC_ERR_NOMEM);
        const rc_conv_input_bn_relu bn1 = input_bn_relu(scale1, p, sv, RC_BLOCK_CONV1, c1->k);
        TRY(rc_conv2d_winograd_bn_relu_input(y2, y1, p->weight[RC_BLOCK_CONV2], &bn1, c2));
    } else {
        bn_relu(a1, y1, p, sv, RC_BLOCK_CONV1, c1);
        TRY(rc_conv2d_forward(y2, a1, p->weight[RC_BLOCK_CONV2], NULL, c2));
    }
    layer_stats(y2, p, sv, RC_BLOCK_CONV2, c2, batch_stats);
    bn_relu(a2, y2, p, sv, RC_BLOCK_CONV2, c2);
    free(a1);
    a1 = NULL;
    TRY(rc_conv2d_forward(y3, a2, p->weight[RC_BLOCK_CONV3], NULL, c3));
    layer_stats(y3, p, sv, RC_BLOCK_CONV3, c3, batch_stats);
    const float *yd = NULL;
    if (s->has_downsample) {
        float *yd_out = sv->y[RC_BLOCK_DOWN];
        if (!yd_out && !(yd_out = yd_scratch = alloc_floats(out_size(cd)))) TRY(RC_ERR_NOMEM);
        TRY(rc_conv2d_forward(yd_out, x, p->weight[RC_BLOCK_DOWN], NULL, cd));
        layer_stats(yd_out, p, sv, RC_BLOCK_DOWN, cd, batch_stats);
        yd = yd_out;
    }
    bn_add_relu(out, y3, yd, x, p, sv, c3);
done:
    free(a1);
    free(a2);
    free(scale1);
    free(yd_scratch);
    return status;
}

/* Backward through convolution `layer + 1` and the BN + ReLU of `layer` that feeds it:
 * g_next is the gradient of y[layer + 1]; g_in receives the gradient of y[layer]. a is scratch
 * for relu(bn(y[layer])), the convolution's input, recomputed here instead of saved (only for
 * the weight gradient, and not stored at all when a Winograd weight gradient applies the BN +
 * ReLU itself; the BN backward recomputes the ReLU's mask itself). */
static rc_status conv_relu_bn_backward(float *g_in, float *a, const float *g_next, int layer,
                                       float *const dweight[RC_BLOCK_LAYERS], float *const dgamma[RC_BLOCK_LAYERS],
                                       float *const dbeta[RC_BLOCK_LAYERS], const rc_bottleneck_shape *s,
                                       const rc_bottleneck_params *p, const rc_bottleneck_saved *sv, int batch_stats) {
    const rc_conv2d_shape *c = &s->conv[layer], *next = &s->conv[layer + 1];
    if (dweight && rc_conv2d_winograd_applies(next)) {
        float *scale = alloc_floats(c->k);
        if (!scale) return RC_ERR_NOMEM;
        const rc_conv_input_bn_relu bn = input_bn_relu(scale, p, sv, layer, c->k);
        rc_status status = rc_conv2d_winograd_backward_weight_bn_relu_input(dweight[layer + 1], g_next,
                                                                           sv->y[layer], &bn, next);
        free(scale);
        if (status != RC_OK) return status;
    } else if (dweight) {
        bn_relu(a, sv->y[layer], p, sv, layer, c);
        rc_status status = rc_conv2d_backward_weight(dweight[layer + 1], NULL, g_next, a, next);
        if (status != RC_OK) return status;
    }
    rc_status status = rc_conv2d_backward_data_overwrite(g_in, g_next, p->weight[layer + 1], next);
    if (status != RC_OK) return status;
    rc_batchnorm_relu_backward(g_in, dgamma ? dgamma[layer] : NULL, dbeta ? dbeta[layer] : NULL, g_in,
                               sv->y[layer], sv->mean[layer], sv->var[layer], p->gamma[layer], p->beta[layer],
                               p->eps[layer], batch_stats, c->n, c->k, out_plane(c));
    return RC_OK;
}

rc_status rc_bottleneck_backward(float *dx, float *const dweight[RC_BLOCK_LAYERS],
                                 float *const dgamma[RC_BLOCK_LAYERS], float *const dbeta[RC_BLOCK_LAYERS],
                                 const float *dout, const float *out, const float *x,
                                 const rc_bottleneck_shape *s, const rc_bottleneck_params *p,
                                 const rc_bottleneck_saved *sv, int batch_stats) {
    const rc_conv2d_shape *c1 = &s->conv[RC_BLOCK_CONV1], *c2 = &s->conv[RC_BLOCK_CONV2];
    const rc_conv2d_shape *c3 = &s->conv[RC_BLOCK_CONV3], *cd = &s->conv[RC_BLOCK_DOWN];
    const int64_t n1 = out_size(c1), n2 = out_size(c2), n3 = out_size(c3);
    const int params = dweight != NULL;
    rc_status status = RC_OK;
    /* g carries the gradient of the residual sum (unless dx does, below), then of y3, then (as
     * the largest free buffer) of y1. */
    /* a holds a recomputed convolution input, needed only for weight gradients. */
    float *g = alloc_floats(n3 > n1 ? n3 : n1), *a = params ? alloc_floats(n1 > n2 ? n1 : n2) : NULL;
    float *g2 = alloc_floats(n2), *gd = NULL;
    if (!g || (params && !a) || !g2) TRY(RC_ERR_NOMEM);

    /* Through the final ReLU to the residual sum, then BN3. An identity shortcut passes the sum's
     * gradient on unchanged, so it goes straight into dx (the rest of dx is added last), written
     * by BN3's backward in its first pass: no copy, and no pass of its own for the ReLU. A
     * downsample's BN reads it as well, so there it is made first, in g. */
    if (!s->has_downsample && dx) {
        rc_batchnorm_backward_output_relu(g, params ? dgamma[RC_BLOCK_CONV3] : NULL, params ? dbeta[RC_BLOCK_CONV3] : NULL,
                                          dx, dout, out, sv->y[RC_BLOCK_CONV3], sv->mean[RC_BLOCK_CONV3],
                                          sv->var[RC_BLOCK_CONV3], p->gamma[RC_BLOCK_CONV3], p->eps[RC_BLOCK_CONV3],
                                          batch_stats, c3->n, c3->k, out_plane(c3));
    } else {
        rc_relu_backward(g, dout, out, n3);
        if (s->has_downsample) {
            if (!(gd = alloc_floats(n3))) TRY(RC_ERR_NOMEM);
            rc_batchnorm_backward(gd, params ? dgamma[RC_BLOCK_DOWN] : NULL, params ? dbeta[RC_BLOCK_DOWN] : NULL, g,
                                  sv->y[RC_BLOCK_DOWN], sv->mean[RC_BLOCK_DOWN], sv->var[RC_BLOCK_DOWN],
                                  p->gamma[RC_BLOCK_DOWN], p->eps[RC_BLOCK_DOWN], batch_stats, cd->n, cd->k, out_plane(cd));
            if (params) TRY(rc_conv2d_backward_weight(dweight[RC_BLOCK_DOWN], NULL, gd, x, cd));
            if (dx) TRY(rc_conv2d_backward_data_overwrite(dx, gd, p->weight[RC_BLOCK_DOWN], cd));
            free(gd);
            gd = NULL;
        }
        rc_batchnorm_backward(g, params ? dgamma[RC_BLOCK_CONV3] : NULL, params ? dbeta[RC_BLOCK_CONV3] : NULL, g,
                              sv->y[RC_BLOCK_CONV3], sv->mean[RC_BLOCK_CONV3], sv->var[RC_BLOCK_CONV3],
                              p->gamma[RC_BLOCK_CONV3], p->eps[RC_BLOCK_CONV3], batch_stats, c3->n, c3->k, out_plane(c3));
    }

    TRY(conv_relu_bn_backward(g2, a, g, RC_BLOCK_CONV2, dweight, dgamma, dbeta, s, p, sv, batch_stats));
    TRY(conv_relu_bn_backward(g, a, g2, RC_BLOCK_CONV1, dweight, dgamma, dbeta, s, p, sv, batch_stats));

    if (params) TRY(rc_conv2d_backward_weight(dweight[RC_BLOCK_CONV1], NULL, g, x, c1));
    if (dx) TRY(rc_conv2d_backward_data(dx, g, p->weight[RC_BLOCK_CONV1], c1));
done:
    free(g);
    free(a);
    free(g2);
    free(gd);
    return status;
}
