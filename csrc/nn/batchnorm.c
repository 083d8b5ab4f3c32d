#include "nn/batchnorm.h"

#include <math.h>
#include <omp.h>
#include <stddef.h>
#include <string.h>

static double invstd_of(float var, float eps) { return 1.0 / sqrt((double)var + (double)eps); }

/* Four floats as one value (GCC/Clang vector extension), one SSE register on the baseline ISA.
 * Written out because GCC will not vectorise the float sums itself: without -ffast-math it keeps
 * every lane's additions in source order and emits them as scalar adds. */
typedef float rc_f4 __attribute__((vector_size(16)));
typedef int32_t rc_i4 __attribute__((vector_size(16)));

static inline rc_f4 load4(const float *p) {
    rc_f4 v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void store4(float *p, rc_f4 v) { memcpy(p, &v, sizeof v); }
static inline rc_f4 splat4(float s) { return (rc_f4){s, s, s, s}; }

/* Sums run in float over 16 lanes (four rc_f4, also four independent dependency chains) and
 * move to double every RC_BN_BLOCK elements, so each float partial sum holds at most
 * RC_BN_BLOCK/16 terms: float speed, double-like accuracy. */
#define RC_BN_BLOCK 512

/* The 16 lanes of v[0..3] summed in double. */
static inline double sum16(const rc_f4 v[4]) {
    double s[4];
    for (int j = 0; j < 4; j++) s[j] = ((double)v[0][j] + (double)v[1][j]) + ((double)v[2][j] + (double)v[3][j]);
    return (s[0] + s[1]) + (s[2] + s[3]);
}

/* Channels are processed in groups whose planes are visited in memory order (n outer, the
 * group's channels inner): one contiguous run of G * HW floats per n, which the hardware
 * prefetchers stream about twice as fast as one short plane per channel. Per-channel state lives
 * on the stack, hence the cap. Every channel still accumulates its planes in n order, so results
 * do not depend on the grouping or the thread count. */
#define RC_BN_GROUP_MAX 256

/* Channels per group: at most `cap` and RC_BN_GROUP_MAX, and few enough that every thread gets
 * a group. */
static int64_t group_size(int64_t C, int64_t cap) {
    const int64_t threads = omp_in_parallel() ? 1 : omp_get_max_threads();
    int64_t g = (C + threads - 1) / threads;
    if (g > cap) g = cap;
    if (g > RC_BN_GROUP_MAX) g = RC_BN_GROUP_MAX;
    return g > 0 ? g : 1;
}

/* From plane (n, c) to the next one a group visits, (n, c + 1) or (n + 1, c0), in floats. The
 * statistics' second pass over a plane prefetches the next one: it works from cache, and the
 * hardware prefetchers would stop streaming meanwhile. */
static ptrdiff_t next_plane(int64_t C, int64_t HW, int64_t c0, int64_t c1, int64_t c) {
    return (c + 1 < c1 ? 1 : C - (c - c0)) * HW;
}

/* s1 += sum(x - shift), s2 += sum((x - shift)^2); prefetches x[ahead..ahead + n). */
static void centered_sums(const float *x, int64_t n, float shift, ptrdiff_t ahead, double *s1, double *s2) {
    const rc_f4 sh = splat4(shift);
    for (int64_t start = 0; start < n; start += RC_BN_BLOCK) {
        const int64_t end = start + RC_BN_BLOCK < n ? start + RC_BN_BLOCK : n;
        rc_f4 a[4] = {{0}}, b[4] = {{0}};
        int64_t i = start;
        for (; i + 16 <= end; i += 16) {
            __builtin_prefetch(x + ahead + i);
            for (int j = 0; j < 4; j++) {
                rc_f4 d = load4(x + i + 4 * j) - sh;
                a[j] += d, b[j] += d * d;
            }
        }
        for (int j = 0; i + 4 <= end; i += 4, j++) {
            rc_f4 d = load4(x + i) - sh;
            a[j] += d, b[j] += d * d;
        }
        double pa = sum16(a), pb = sum16(b);
        for (; i < end; i++) {
            double d = (double)x[i] - shift;
            pa += d, pb += d * d;
        }
        *s1 += pa, *s2 += pb;
    }
}

/* sum(x) in double, accumulated as centered_sums does. */
static double plain_sum(const float *x, int64_t n) {
    double s = 0.0;
    for (int64_t start = 0; start < n; start += RC_BN_BLOCK) {
        const int64_t end = start + RC_BN_BLOCK < n ? start + RC_BN_BLOCK : n;
        rc_f4 a[4] = {{0}};
        int64_t i = start;
        for (; i + 16 <= end; i += 16)
            for (int j = 0; j < 4; j++) a[j] += load4(x + i + 4 * j);
        for (int j = 0; i + 4 <= end; i += 4, j++) a[j] += load4(x + i);
        double p = sum16(a);
        for (; i < end; i++) p += x[i];
        s += p;
    }
    return s;
}

void rc_batchnorm_stats(float *mean, float *var, const float *inp, int64_t N, int64_t C, int64_t HW) {
    const int64_t G = group_size(C, RC_BN_GROUP_MAX);
    const double inv_hw = 1.0 / (double)(HW > 0 ? HW : 1);
#pragma omp parallel for schedule(static)
    for (int64_t c0 = 0; c0 < C; c0 += G) {
        const int64_t c1 = c0 + G < C ? c0 + G : C;
        double m[RC_BN_GROUP_MAX] = {0}, m2[RC_BN_GROUP_MAX] = {0}; // per channel: mean, sum of squared deviations
        for (int64_t n = 0; n < N && HW > 0; n++) {
            const double keep_share = (double)n / (double)(n + 1); // of the merged count, the planes before n
            for (int64_t c = c0; c < c1; c++) {
                // Each plane in two passes (the second from cache): a rough mean, then sums
                // centred on it. Centring keeps the squares from cancelling catastrophically
                // when |mean| >> std (the one-pass E[x^2] - E[x]^2 does), and the residual
                // sum of (x - shift) corrects for the shift being rounded.
                const float *x = inp + (n * C + c) * HW;
                const float shift = (float)(plain_sum(x, HW) * inv_hw);
                double s1 = 0.0, s2 = 0.0;
                centered_sums(x, HW, shift, next_plane(C, HW, c0, c1, c), &s1, &s2);
                const double plane_mean = (double)shift + s1 * inv_hw, plane_m2 = s2 - s1 * s1 * inv_hw;
                // Chan et al.'s merge of the (count, mean, M2) summaries of planes 0..n-1 and n.
                const double delta = plane_mean - m[c - c0];
                m[c - c0] += delta / (double)(n + 1);
                m2[c - c0] += plane_m2 + delta * delta * (double)HW * keep_share;
            }
        }
        const double count = (double)(N * HW);
        for (int64_t c = c0; c < c1; c++) {
            const double v = m2[c - c0] / count;
            mean[c] = (float)m[c - c0];
            var[c] = (float)(v > 0.0 ? v : 0.0);
        }
    }
}

/* y = (x - m) * scale + shift over n floats; y may alias x. */
static void affine(float *y, const float *x, int64_t n, float m, float scale, float shift) {
    const rc_f4 mv = splat4(m), sv = splat4(scale), tv = splat4(shift);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) store4(y + i, (load4(x + i) - mv) * sv + tv);
    for (; i < n; i++) y[i] = (x[i] - m) * scale + shift;
}

void rc_batchnorm_forward(float *out, const float *inp, const float *mean, const float *var,
                          const float *weight, const float *bias, float eps,
                          int64_t N, int64_t C, int64_t HW) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t n = 0; n < N; n++) {
        for (int64_t c = 0; c < C; c++) {
            // (x - mean) first: folding mean into the shift (x * scale + shift) would cancel
            // catastrophically when |mean| >> std.
            double invstd = invstd_of(var[c], eps);
            float scale = (float)((weight ? weight[c] : 1.0) * invstd);
            affine(out + (n * C + c) * HW, inp + (n * C + c) * HW, HW, mean[c], scale, bias ? bias[c] : 0.0f);
        }
    }
}

/* The ReLU after a batchnorm, undone in its backward: the gradient g of relu(v), v = xm * scale +
 * shift (xm = x - mean: rc_batchnorm_forward's arithmetic, bit for bit), passes where v > 0 or
 * v is NaN (rc_relu_backward's rule on the forward's output) and is 0 elsewhere. */
typedef struct {
    float scale, shift;
} relu_mask;

static inline rc_f4 relu_pass4(rc_f4 g, rc_f4 xm, rc_f4 scale, rc_f4 shift) {
    const rc_f4 v = xm * scale + shift;
    return (rc_f4)((rc_i4)g & ~(v <= splat4(0.0f)));
}
static inline float relu_pass1(float g, float xm, relu_mask r) {
    const float v = xm * r.scale + r.shift;
    return (v > 0.0f || v != v) ? g : 0.0f;
}

/* A ReLU after the batchnorm's output (and a residual add), whose backward is folded into the
 * first pass: the gradient g of its input is dy where its output `out` is > 0 or NaN
 * (rc_relu_backward's rule), 0 elsewhere, and is stored to `gout` for the second pass and the
 * caller. */
typedef struct {
    const float *out;
    float *gout;
} output_relu;

static const output_relu no_output_relu = {NULL, NULL};

static inline rc_f4 output_relu4(rc_f4 g, rc_f4 out) { return (rc_f4)((rc_i4)g & ~(out <= splat4(0.0f))); }

/* s1 += sum(g), s2 += sum(g * (x - m)), g = dy, or dy through the ReLU when `relu`, or through
 * the ReLU after when `after` (then g is stored to o.gout). Inlined with `relu` and `after`
 * constant so the plain path carries no mask. */
static inline __attribute__((always_inline)) void grad_sums(const float *dy, const float *x, int64_t n, float m,
                                                           int relu, relu_mask r, int after, output_relu o,
                                                           double *s1, double *s2) {
    const rc_f4 mv = splat4(m), rs = splat4(r.scale), rt = splat4(r.shift);
    for (int64_t start = 0; start < n; start += RC_BN_BLOCK) {
        const int64_t end = start + RC_BN_BLOCK < n ? start + RC_BN_BLOCK : n;
        rc_f4 a[4] = {{0}}, b[4] = {{0}};
        int64_t i = start;
        for (; i + 16 <= end; i += 16) {
            for (int j = 0; j < 4; j++) {
                rc_f4 g = load4(dy + i + 4 * j), xm = load4(x + i + 4 * j) - mv;
                if (relu) g = relu_pass4(g, xm, rs, rt);
                if (after) {
                    g = output_relu4(g, load4(o.out + i + 4 * j));
                    store4(o.gout + i + 4 * j, g);
                }
                a[j] += g, b[j] += g * xm;
            }
        }
        for (int j = 0; i + 4 <= end; i += 4, j++) {
            rc_f4 g = load4(dy + i), xm = load4(x + i) - mv;
            if (relu) g = relu_pass4(g, xm, rs, rt);
            if (after) {
                g = output_relu4(g, load4(o.out + i));
                store4(o.gout + i, g);
            }
            a[j] += g, b[j] += g * xm;
        }
        double pa = sum16(a), pb = sum16(b);
        for (; i < end; i++) {
            const float xm = x[i] - m;
            float g = relu ? relu_pass1(dy[i], xm, r) : dy[i];
            if (after) {
                g = o.out[i] <= 0.0f ? 0.0f : g;
                o.gout[i] = g;
            }
            pa += g, pb += (double)g * xm;
        }
        *s1 += pa, *s2 += pb;
    }
}

/* dx = g * a + (x - m) * b + k (with `training`, else dx = g * a) over n floats, g as in
 * grad_sums; dx may alias dy. */
static inline __attribute__((always_inline)) void grad_apply(float *dx, const float *dy, const float *x, int64_t n,
                                                            float m, float a, float b, float k, int training,
                                                            int relu, relu_mask r) {
    const rc_f4 mv = splat4(m), av = splat4(a), bv = splat4(b), kv = splat4(k);
    const rc_f4 rs = splat4(r.scale), rt = splat4(r.shift);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        rc_f4 g = load4(dy + i), xm = load4(x + i) - mv;
        if (relu) g = relu_pass4(g, xm, rs, rt);
        store4(dx + i, training ? g * av + xm * bv + kv : g * av);
    }
    for (; i < n; i++) {
        const float xm = x[i] - m, g = relu ? relu_pass1(dy[i], xm, r) : dy[i];
        dx[i] = training ? g * a + xm * b + k : g * a;
    }
}

/* Per-channel constants of the backward. */
typedef struct {
    float m, a, b, k; // dx = g * a + (x - m) * b + k
    relu_mask r;
    double sum_g, sum_g_xm;
} channel_grad;

/* The group's sums (first pass) and gradients (second pass), in memory order. Inlined with
 * constant `training`, `relu` and `after` below, so each combination gets its own loops. */
static inline __attribute__((always_inline)) void group_sums(channel_grad *cg, const float *dout, const float *inp,
                                                            int64_t N, int64_t C, int64_t HW, int64_t c0,
                                                            int64_t c1, int relu, output_relu after) {
    for (int64_t n = 0; n < N; n++) {
        for (int64_t c = c0; c < c1; c++) {
            channel_grad *q = &cg[c - c0];
            const int64_t at = (n * C + c) * HW;
            const output_relu o = {after.out ? after.out + at : NULL, after.gout ? after.gout + at : NULL};
            grad_sums(dout + at, inp + at, HW, q->m, relu, q->r, after.out != NULL, o, &q->sum_g, &q->sum_g_xm);
        }
    }
}
static inline __attribute__((always_inline)) void group_apply(const channel_grad *cg, float *dinp, const float *dout,
                                                             const float *inp, int64_t N, int64_t C, int64_t HW,
                                                             int64_t c0, int64_t c1, int training, int relu) {
    for (int64_t n = 0; n < N; n++) {
        for (int64_t c = c0; c < c1; c++) {
            const channel_grad *q = &cg[c - c0];
            const int64_t at = (n * C + c) * HW;
            grad_apply(dinp + at, dout + at, inp + at, HW, q->m, q->a, q->b, q->k, training, relu, q->r);
        }
    }
}

/* Backward groups hold at most this many bytes of dy and x (or one channel, if larger), so the
 * second pass rereads them from cache. */
#define RC_BN_REUSE_BYTES (1024 * 1024)

static void backward_impl(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                          const float *mean, const float *var, const float *weight, const float *bias, float eps,
                          int training, int relu, output_relu after, int64_t N, int64_t C, int64_t HW) {
    const double count = (double)(N * HW);
    const int64_t channel_bytes = N * HW * 2 * (int64_t)sizeof(float);
    const int64_t G = group_size(C, channel_bytes > 0 ? RC_BN_REUSE_BYTES / channel_bytes : RC_BN_GROUP_MAX);
#pragma omp parallel for schedule(static)
    for (int64_t c0 = 0; c0 < C; c0 += G) {
        const int64_t c1 = c0 + G < C ? c0 + G : C;
        channel_grad cg[RC_BN_GROUP_MAX];
        for (int64_t c = c0; c < c1; c++) {
            const double invstd = invstd_of(var[c], eps), w = weight ? weight[c] : 1.0;
            cg[c - c0] = (channel_grad){.m = mean[c], .r = {(float)(w * invstd), bias ? bias[c] : 0.0f}};
        }
        if (relu) group_sums(cg, dout, inp, N, C, HW, c0, c1, 1, no_output_relu);
        else if (after.out) group_sums(cg, dout, inp, N, C, HW, c0, c1, 0, after);
        else group_sums(cg, dout, inp, N, C, HW, c0, c1, 0, no_output_relu);
        for (int64_t c = c0; c < c1; c++) {
            channel_grad *q = &cg[c - c0];
            const double invstd = invstd_of(var[c], eps), w = weight ? weight[c] : 1.0;
            if (dbias) dbias[c] = (float)q->sum_g;
            if (dweight) dweight[c] = (float)(q->sum_g_xm * invstd);
            q->a = (float)(w * invstd);
            if (training) {
                // dinp = w*invstd*(g - mean(g) - xhat*mean(g*xhat)), xhat = (x - m)*invstd,
                // rearranged as g*a + (x - m)*b + k with per-channel constants.
                double mean_g = q->sum_g / count;
                double proj = q->sum_g_xm / count * invstd * invstd; // mean(g*xhat) * invstd
                q->b = (float)(-w * invstd * proj);
                q->k = (float)(-w * invstd * mean_g);
            }
        }
        if (!dinp) continue;
        const float *g = after.out ? after.gout : dout; /* g stored by the first pass, read back from cache */
        switch (2 * !!training + !!relu) {
        case 0: group_apply(cg, dinp, g, inp, N, C, HW, c0, c1, 0, 0); break;
        case 1: group_apply(cg, dinp, g, inp, N, C, HW, c0, c1, 0, 1); break;
        case 2: group_apply(cg, dinp, g, inp, N, C, HW, c0, c1, 1, 0); break;
        default: group_apply(cg, dinp, g, inp, N, C, HW, c0, c1, 1, 1); break;
        }
    }
}

void rc_batchnorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *mean, const float *var,
                           const float *weight, float eps, int training,
                           int64_t N, int64_t C, int64_t HW) {
    backward_impl(dinp, dweight, dbias, dout, inp, mean, var, weight, NULL, eps, training, 0,
                  no_output_relu, N, C, HW);
}

void rc_batchnorm_backward_output_relu(float *dinp, float *dweight, float *dbias, float *grelu,
                                       const float *dout, const float *out, const float *inp,
                                       const float *mean, const float *var, const float *weight,
                                       float eps, int training, int64_t N, int64_t C, int64_t HW) {
    const output_relu after = {out, grelu};
    backward_impl(dinp, dweight, dbias, dout, inp, mean, var, weight, NULL, eps, training, 0, after, N, C, HW);
}

void rc_batchnorm_relu_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                                const float *inp, const float *mean, const float *var,
                                const float *weight, const float *bias, float eps, int training,
                                int64_t N, int64_t C, int64_t HW) {
    backward_impl(dinp, dweight, dbias, dout, inp, mean, var, weight, bias, eps, training, 1,
                  no_output_relu, N, C, HW);
}
