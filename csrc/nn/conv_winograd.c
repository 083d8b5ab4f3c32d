#include "nn/conv_winograd.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "gemm/gemm.h"

/* Transformed tile positions, and the tiles one chunk of images aims for: each of its 16 GEMMs
 * then has N near 512, as the im2col path's do, which spreads the reading of large transformed
 * weights (U, 16 x 512 x 512 floats at 7x7) over many images. Weights of at most
 * CACHED_WEIGHT_FLOATS (16 x 256 x 256: 4 MiB) are reread from cache instead, so chunks only
 * need MIN_TILES (three NR = 16 panels): one image down to 7x7. The transformed inputs and
 * outputs of a chunk (V and M, 16 floats per tile and channel, written and reread) then stay
 * a few MiB per thread instead of 10-35 MiB that spill from L3; against 512-tile chunks, on 32
 * images with 2 threads: 128 channels at 28x28 1.17x forward, 1.18x backward-data, 1.33x
 * weight gradient; 256 at 14x14 1.0x, 1.0x, 1.31x. (At 512 channels of 7x7, one image per
 * chunk ran 0.84x, 0.84x and 0.67x.) */
enum { XI = 16, TARGET_TILES = 512, MIN_TILES = 48, MAX_PART_TILES = 256 };
#define CACHED_WEIGHT_FLOATS ((int64_t)XI * 256 * 256)

/* Below this many channels on either side the transforms, linear in the data, weigh too much
 * against GEMMs with a short side (at 16 channels they still win: 1.08-1.25x on 8x8 to 32x32
 * maps, forward and backward). */
enum { MIN_CHANNELS = 16 };

/* A chunk holds whole images (one, on maps this large), so one image's transformed tiles (16
 * per tile and channel) must stay reasonable: past 64 MiB (64 channels of a 256x256 map) the
 * convolution keeps im2col, which unfolds a slab of rows at a time. */
#define MAX_IMAGE_TILE_FLOATS ((int64_t)1 << 24)

typedef struct {
    int64_t n, cin, cout; /* the convolution computed: cin channels in, cout out */
    int64_t h, w;         /* input and output size (stride 1, padding 1) */
    int64_t th, tw;       /* 2x2 output tiles per column and row */
    const rc_conv_input_bn_relu *pre; /* applied to the input as it is read, or NULL */
} wino_shape;

/* The tiles one GEMM works on: tile rows [ti0, ti1) of images [n0, n0 + nb) (all rows unless
 * nb is 1), tile t of image i's row ti at (i * (ti1 - ti0) + ti - ti0) * tw + tj. */
typedef struct {
    int64_t n0, nb, ti0, ti1;
} wino_chunk;

static int enabled = 1;

int rc_conv2d_winograd_set_enabled(int on) {
    int previous = enabled;
    enabled = on != 0;
    return previous;
}

int rc_conv2d_winograd_applies(const rc_conv2d_shape *s) {
    return enabled && s->kh == 3 && s->kw == 3 && s->stride_h == 1 && s->stride_w == 1 &&
           s->dilation_h == 1 && s->dilation_w == 1 && s->pad_h == 1 && s->pad_w == 1 &&
           s->groups == 1 && s->c >= MIN_CHANNELS && s->k >= MIN_CHANNELS &&
           (s->h + 1) / 2 * ((s->w + 1) / 2) * XI * (s->c > s->k ? s->c : s->k) <= MAX_IMAGE_TILE_FLOATS;
}

/* u[xi][o][i] = (G g G^T)[xi] for the filter g from input channel i to output channel o, with
 * G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]. For the input gradient, g is the forward
 * filter from o to i, flipped in both directions.
 * weight is (K, C, 3, 3) (s->c = C) */
static void weight_transform(float *u, const float *weight, const wino_shape *ws, int64_t c,
                             int data_grad) {
    const int64_t plane = ws->cout * ws->cin;
#pragma omp parallel for schedule(static) if (!omp_in_parallel() && plane > 4096)
    for (int64_t o = 0; o < ws->cout; o++)
        for (int64_t i = 0; i < ws->cin; i++) {
            const float *src = data_grad ? weight + (i * c + o) * 9 : weight + (o * c + i) * 9;
            float g[3][3], t[4][3];
            for (int r = 0; r < 3; r++)
                for (int q = 0; q < 3; q++) g[r][q] = data_grad ? src[(2 - r) * 3 + 2 - q] : src[r * 3 + q];
            for (int q = 0; q < 3; q++) {
                t[0][q] = g[0][q];
                t[1][q] = 0.5f * (g[0][q] + g[1][q] + g[2][q]);
                t[2][q] = 0.5f * (g[0][q] - g[1][q] + g[2][q]);
                t[3][q] = g[2][q];
            }
            float *dst = u + o * ws->cin + i;
            for (int a = 0; a < 4; a++) {
                dst[(a * 4 + 0) * plane] = t[a][0];
                dst[(a * 4 + 1) * plane] = 0.5f * (t[a][0] + t[a][1] + t[a][2]);
                dst[(a * 4 + 2) * plane] = 0.5f * (t[a][0] - t[a][1] + t[a][2]);
                dst[(a * 4 + 3) * plane] = t[a][2];
            }
        }
}

/* Floats of an image plane padded to whole tiles (a zero ring of one, plus one more row and
 * column for odd sizes) as its even and odd columns, then 8 rows of row-transformed values. */
static int64_t scratch_floats(const wino_shape *ws) {
    const int64_t ph = 2 * ws->th + 2, half = ws->tw + 1;
    return 2 * ph * half + 8 * half;
}

/* relu((x - m) * scale + shift), as rc_conv_input_bn_relu describes. */
static inline float bn_relu(float x, float m, float scale, float shift) {
    const float v = (x - m) * scale + shift;
    return v <= 0.0f ? 0.0f : v;
}

/* V[xi][c][t0 + (ti - ti0)*tw + tj] = (B^T d B)[xi], for tile rows ti in [ti0, ti1), of the
 * 4x4 input tile d at rows 2ti-1.., columns 2tj-1.. of channel c, with
 * B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. The padded plane is split into its even and
 * odd columns first (tile tj's columns are even[tj], odd[tj], even[tj + 1], odd[tj + 1]), so
 * the steps down the columns and then along the rows both read contiguous values.
 * v is (16, cin, T); img is (cin, h, w), one image */
static void input_transform_channel(float *v, int64_t T, int64_t t0, int64_t ti0, int64_t ti1,
                                    const float *img, int64_t c, const wino_shape *ws,
                                    float *scratch) {
    const int64_t h = ws->h, w = ws->w, tw = ws->tw, ph = 2 * ws->th + 2, half = tw + 1;
    const int64_t plane = ws->cin * T;
    float *even = scratch, *odd = scratch + ph * half, *rows = odd + ph * half;
    const float *src = img + c * h * w;
    /* Padded row y + 1 and column x + 1 hold input row y and column x: even[x] = padded column
     * 2x = input column 2x - 1, odd[x] = input column 2x. Only the padded rows that tile rows
     * [ti0, ti1) read are split. */
    for (int64_t py = 2 * ti0; py < 2 * ti1 + 2; py++) {
        float *restrict e = even + py * half, *restrict d = odd + py * half;
        if (py == 0 || py > h) {
            memset(e, 0, (size_t)half * sizeof(float));
            memset(d, 0, (size_t)half * sizeof(float));
            continue;
        }
        const float *restrict in = src + (py - 1) * w;
        const int64_t pairs = w / 2; /* input columns 2x and 2x + 1 both exist */
        e[0] = 0.0f;
        if (ws->pre) {
            const float m = ws->pre->mean[c], scale = ws->pre->scale[c], shift = ws->pre->shift[c];
#pragma GCC ivdep
            for (int64_t x = 0; x < pairs; x++) {
                d[x] = bn_relu(in[2 * x], m, scale, shift);
                e[x + 1] = bn_relu(in[2 * x + 1], m, scale, shift);
            }
            if (w % 2) d[pairs] = bn_relu(in[w - 1], m, scale, shift);
        } else {
#pragma GCC ivdep
            for (int64_t x = 0; x < pairs; x++) {
                d[x] = in[2 * x];
                e[x + 1] = in[2 * x + 1];
            }
            if (w % 2) d[pairs] = in[w - 1];
        }
        for (int64_t x = pairs + w % 2; x < half; x++) d[x] = 0.0f;
        for (int64_t x = pairs + 1; x < half; x++) e[x] = 0.0f;
    }
    for (int64_t ti = ti0; ti < ti1; ti++) {
        for (int parity = 0; parity < 2; parity++) {
            const float *restrict p0 = (parity ? odd : even) + 2 * ti * half;
            const float *restrict p1 = p0 + half, *restrict p2 = p1 + half, *restrict p3 = p2 + half;
            float *restrict r0 = rows + parity * 4 * half, *restrict r1 = r0 + half;
            float *restrict r2 = r1 + half, *restrict r3 = r2 + half;
#pragma GCC ivdep
            for (int64_t x = 0; x < half; x++) {
                r0[x] = p0[x] - p2[x];
                r1[x] = p1[x] + p2[x];
                r2[x] = p2[x] - p1[x];
                r3[x] = p1[x] - p3[x];
            }
        }
        for (int a = 0; a < 4; a++) {
            const float *restrict re = rows + a * half, *restrict ro = rows + (4 + a) * half;
            float *restrict d0 = v + (a * 4) * plane + c * T + t0 + (ti - ti0) * tw;
            float *restrict d1 = d0 + plane, *restrict d2 = d1 + plane, *restrict d3 = d2 + plane;
#pragma GCC ivdep
            for (int64_t tj = 0; tj < tw; tj++) {
                d0[tj] = re[tj] - re[tj + 1];
                d1[tj] = ro[tj] + re[tj + 1];
                d2[tj] = re[tj + 1] - ro[tj];
                d3[tj] = ro[tj] - ro[tj + 1];
            }
        }
    }
}

/* The 2x2 outputs of tile (ti, tj) = Y = A^T m A, A^T = [1 1 1 0; 0 1 -1 -1], for m the 16
 * values m[xi][o][t0 + (ti - ti0)*tw + tj] (+ bias), for tile rows ti in [ti0, ti1), into (or
 * added to) channel o of one image: a row of tiles at a time, first down the columns of m
 * (s0, s1: 8 rows of tw values, in scratch), then along the rows, so both loops run over
 * contiguous tiles.
 * m is (16, cout, T); out is (cout, h, w) */
static void output_transform_channel(float *out, const float *m, int64_t T, int64_t t0,
                                     int64_t ti0, int64_t ti1, const float *bias, int64_t o,
                                     const wino_shape *ws, int accumulate, float *scratch) {
    const int64_t h = ws->h, w = ws->w, tw = ws->tw, plane = ws->cout * T, pairs = w / 2;
    const float b = bias ? bias[o] : 0.0f;
    float *dst = out + o * h * w;
    float *s0[4], *s1[4];
    for (int q = 0; q < 4; q++) {
        s0[q] = scratch + q * tw;
        s1[q] = scratch + (4 + q) * tw;
    }
    for (int64_t ti = ti0; ti < ti1; ti++) {
        const float *mm = m + o * T + t0 + (ti - ti0) * tw;
        for (int q = 0; q < 4; q++) {
            const float *restrict m0 = mm + q * plane, *restrict m1 = m0 + 4 * plane;
            const float *restrict m2 = m1 + 4 * plane, *restrict m3 = m2 + 4 * plane;
            float *restrict a0 = s0[q], *restrict a1 = s1[q];
#pragma GCC ivdep
            for (int64_t tj = 0; tj < tw; tj++) {
                a0[tj] = m0[tj] + m1[tj] + m2[tj];
                a1[tj] = m1[tj] - m2[tj] - m3[tj];
            }
        }
        for (int r = 0; r < 2 && 2 * ti + r < h; r++) {
            const float *restrict e0 = r ? s1[0] : s0[0], *restrict e1 = r ? s1[1] : s0[1];
            const float *restrict e2 = r ? s1[2] : s0[2], *restrict e3 = r ? s1[3] : s0[3];
            float *restrict y = dst + (2 * ti + r) * w;
            if (accumulate)
#pragma GCC ivdep
                for (int64_t tj = 0; tj < pairs; tj++) {
                    y[2 * tj] += e0[tj] + e1[tj] + e2[tj] + b;
                    y[2 * tj + 1] += e1[tj] - e2[tj] - e3[tj] + b;
                }
            else
#pragma GCC ivdep
                for (int64_t tj = 0; tj < pairs; tj++) {
                    y[2 * tj] = e0[tj] + e1[tj] + e2[tj] + b;
                    y[2 * tj + 1] = e1[tj] - e2[tj] - e3[tj] + b;
                }
            if (w % 2) { /* an odd width's last tile has one column */
                const float v = e0[pairs] + e1[pairs] + e2[pairs] + b;
                y[w - 1] = accumulate ? y[w - 1] + v : v;
            }
        }
    }
}

/* dm[xi][o][t0 + (ti - ti0)*tw + tj] = (A y A^T)[xi], for tile rows ti in [ti0, ti1), of the
 * 2x2 block y of dout at rows 2ti.., columns 2tj.. of channel o (zero outside the map),
 * A = [1 0; 1 1; 1 -1; 0 -1]: the adjoint of the output transform, so the gradient of the 16
 * GEMM outputs. As in the other transforms, a row of blocks at a time: first along each of its
 * two rows (w[r][b], 8 rows of tw values, in scratch), then down the columns, both over
 * contiguous blocks.
 * dm is (16, cout, T); dy is (cout, h, w), one image */
static void output_adjoint_channel(float *dm, int64_t T, int64_t t0, int64_t ti0, int64_t ti1,
                                   const float *dy, int64_t o, const wino_shape *ws,
                                   float *scratch) {
    const int64_t h = ws->h, w = ws->w, tw = ws->tw, plane = ws->cout * T, pairs = w / 2;
    const float *src = dy + o * h * w;
    for (int64_t ti = ti0; ti < ti1; ti++) {
        for (int r = 0; r < 2; r++) {
            float *restrict w0 = scratch + (4 * r) * tw, *restrict w1 = w0 + tw;
            float *restrict w2 = w1 + tw, *restrict w3 = w2 + tw;
            if (2 * ti + r >= h) {
                memset(w0, 0, (size_t)(4 * tw) * sizeof(float));
                continue;
            }
            const float *restrict row = src + (2 * ti + r) * w;
#pragma GCC ivdep
            for (int64_t tj = 0; tj < pairs; tj++) {
                const float e = row[2 * tj], d = row[2 * tj + 1];
                w0[tj] = e;
                w1[tj] = e + d;
                w2[tj] = e - d;
                w3[tj] = -d;
            }
            if (w % 2) { /* an odd width's last block has one column */
                w0[pairs] = w1[pairs] = w2[pairs] = row[w - 1];
                w3[pairs] = -0.0f;
            }
        }
        for (int b = 0; b < 4; b++) {
            const float *restrict top = scratch + b * tw, *restrict bottom = scratch + (4 + b) * tw;
            float *restrict d0 = dm + b * plane + o * T + t0 + (ti - ti0) * tw;
            float *restrict d1 = d0 + 4 * plane, *restrict d2 = d1 + 4 * plane, *restrict d3 = d2 + 4 * plane;
#pragma GCC ivdep
            for (int64_t tj = 0; tj < tw; tj++) {
                d0[tj] = top[tj];
                d1[tj] = top[tj] + bottom[tj];
                d2[tj] = top[tj] - bottom[tj];
                d3[tj] = -bottom[tj];
            }
        }
    }
}

enum { INPUT_TRANSFORM, OUTPUT_TRANSFORM, OUTPUT_ADJOINT };

/* Each channel's tiles of one image lie in 16 runs of `per_image` floats, one per xi, a plane
 * apart. Runs of at most SHORT_RUN_TILES (two cache lines) are too short for the hardware
 * prefetchers to follow, and in chunks of many images they lie beyond L2: stores then wait for
 * their lines and loads stall (7x7 maps at 512 channels). So the transform of a channel first
 * prefetches the next channel's runs, for writing or reading: 1.07-1.09x on all three
 * directions at 7x7; at 14x14 (49 tiles) and over it neutral to 0.92-0.98x. */
enum { SHORT_RUN_TILES = 32 };

static void prefetch_channel_tiles(const float *tiles, int64_t plane, int64_t T, int64_t t0,
                                   int64_t c, int64_t per_image, int for_writing) {
    for (int xi = 0; xi < XI; xi++) {
        const char *run = (const char *)(tiles + xi * plane + c * T + t0);
        for (int64_t off = 0; off < per_image * (int64_t)sizeof(float) + 63; off += 64) {
            if (for_writing) __builtin_prefetch(run + off, 1, 3);
            else __builtin_prefetch(run + off, 0, 3);
        }
    }
}

/* One of the transforms over a chunk's tiles: input planes (cin of them) into tiles, tiles into
 * output planes (cout), or output gradient planes (cout) into tiles. Outside a parallel region
 * the channels are split over threads. */
static rc_status transform_images(int kind, float *tiles, int64_t T, float *out, const float *in,
                                  const float *bias, int accumulate, const wino_shape *ws,
                                  const wino_chunk *ch) {
    const int64_t per_image = (ch->ti1 - ch->ti0) * ws->tw, hw = ws->h * ws->w;
    const int64_t channels = kind == INPUT_TRANSFORM ? ws->cin : ws->cout;
    const int64_t ti0 = ch->ti0, ti1 = ch->ti1;
    const int split = !omp_in_parallel() && omp_get_max_threads() > 1;
    rc_status status = RC_OK;
    for (int64_t i = 0; i < ch->nb; i++) {
        const int64_t image = (ch->n0 + i) * channels * hw, t0 = i * per_image;
#pragma omp parallel for schedule(static) if (split)
        for (int64_t c = 0; c < channels; c++) {
            float *scratch = rc_workspace(RC_WS_WINOGRAD_PAD, (size_t)scratch_floats(ws));
            if (!scratch) {
#pragma omp atomic write
                status = RC_ERR_NOMEM;
                continue;
            }
            if (per_image <= SHORT_RUN_TILES && c + 1 < channels)
                prefetch_channel_tiles(tiles, channels * T, T, t0, c + 1, per_image,
                                       kind != OUTPUT_TRANSFORM);
            if (kind == INPUT_TRANSFORM)
                input_transform_channel(tiles, T, t0, ti0, ti1, in + image, c, ws, scratch);
            else if (kind == OUTPUT_TRANSFORM)
                output_transform_channel(out + image, tiles, T, t0, ti0, ti1, bias, c, ws,
                                         accumulate, scratch);
            else
                output_adjoint_channel(tiles, T, t0, ti0, ti1, in + image, c, ws, scratch);
        }
    }
    return status;
}

/* One chunk: transform its tiles, 16 GEMMs with U (packed, unless panels is NULL), transform
 * back. Inside a parallel region everything runs on this thread; otherwise the transforms split
 * channels over threads and the GEMMs are threaded. */
static rc_status winograd_chunk(float *out, const float *inp, const float *panels, size_t per_xi,
                                const float *u, const float *bias, const wino_shape *ws,
                                const wino_chunk *ch, int accumulate) {
    const int64_t T = ch->nb * (ch->ti1 - ch->ti0) * ws->tw;
    float *v = rc_workspace(RC_WS_COL, (size_t)(XI * ws->cin * T));
    float *m = rc_workspace(RC_WS_OUT, (size_t)(XI * ws->cout * T));
    if (!v || !m) return RC_ERR_NOMEM;
    rc_status status = transform_images(INPUT_TRANSFORM, v, T, NULL, inp, NULL, 0, ws, ch);
    if (status != RC_OK) return status;
    for (int xi = 0; xi < XI; xi++) {
        const float *a = u + xi * ws->cout * ws->cin, *b = v + xi * ws->cin * T;
        float *c = m + xi * ws->cout * T;
        rc_status st = panels ? rc_sgemm_prepacked(panels + xi * per_xi, 0, 0, ws->cout, T, ws->cin, 1.0f,
                                                   a, ws->cin, b, T, 0.0f, c, T, NULL, RC_GEMM_NO_BIAS)
                              : rc_sgemm(0, 0, ws->cout, T, ws->cin, 1.0f, a, ws->cin, b, T, 0.0f, c, T,
                                         NULL, RC_GEMM_NO_BIAS);
        if (st != RC_OK) return st;
    }
    return transform_images(OUTPUT_TRANSFORM, m, T, out, NULL, bias, accumulate, ws, ch);
}

/* Whether the transformed weights are small enough to reread from cache per chunk. */
static int weights_cached(const wino_shape *ws) {
    return XI * ws->cin * ws->cout <= CACHED_WEIGHT_FLOATS;
}

/* Images per chunk: about as many as make TARGET_TILES (or MIN_TILES, for weights that stay in
 * cache), the chunks then evened out to whole rounds of the threads where there are enough
 * images (32 images of 7x7 at 512 channels: 4 chunks of 8, not 11 + 11 + 10 with one thread
 * idle for the last). */
static int64_t images_per_chunk(const wino_shape *ws, int threads) {
    const int64_t target = weights_cached(ws) ? MIN_TILES : TARGET_TILES;
    const int64_t tiles = ws->th * ws->tw, min_images = (target + tiles - 1) / tiles;
    int64_t chunks = (ws->n + min_images - 1) / min_images;
    chunks = (chunks + threads - 1) / threads * threads;
    if (chunks > ws->n) chunks = ws->n;
    return (ws->n + chunks - 1) / chunks;
}

/* How a batch is cut into chunks: `images` whole images each, or (images == 1) each image into
 * `parts` runs of tile rows; `count` chunks in all. */
typedef struct {
    int64_t images, parts, count;
} wino_plan;

/* Chunks of images_per_chunk images. Where threads take chunks side by side and the weights
 * stay in cache, an image of more than MAX_PART_TILES tiles is cut into runs of tile rows, so
 * that its V and M stay small as well: 56x56 with 64 channels, 4 runs of 7 tile rows, 1.6 MiB
 * for V and M instead of 6.4: 1.00-1.10x forward, 1.03-1.05x backward-data in three runs of
 * 12-16 alternating pairs, 1.19-1.25x weight gradient in two. */
static wino_plan chunk_plan(const wino_shape *ws, int threads) {
    wino_plan plan = {images_per_chunk(ws, threads), 1, 0};
    const int64_t tiles = ws->th * ws->tw;
    if (threads > 1 && plan.images == 1 && tiles > MAX_PART_TILES && weights_cached(ws)) {
        plan.parts = (tiles + MAX_PART_TILES - 1) / MAX_PART_TILES;
        if (plan.parts > ws->th) plan.parts = ws->th;
    }
    plan.count = plan.parts > 1 ? ws->n * plan.parts : (ws->n + plan.images - 1) / plan.images;
    return plan;
}

static wino_chunk chunk_at(const wino_plan *plan, const wino_shape *ws, int64_t q) {
    if (plan->parts > 1) {
        const int64_t part = q % plan->parts;
        return (wino_chunk){q / plan->parts, 1, ws->th * part / plan->parts,
                            ws->th * (part + 1) / plan->parts};
    }
    const int64_t n0 = q * plan->images;
    return (wino_chunk){n0, ws->n - n0 < plan->images ? ws->n - n0 : plan->images, 0, ws->th};
}

static rc_status winograd(float *out, const float *inp, const float *weight, const float *bias,
                          const rc_conv_input_bn_relu *pre, const rc_conv2d_shape *s, int data_grad,
                          int accumulate) {
    if (!rc_conv2d_winograd_applies(s) || (data_grad && (bias || pre))) return RC_ERR_ARGUMENT;
    const wino_shape ws = {s->n, data_grad ? s->k : s->c, data_grad ? s->c : s->k, s->h, s->w,
                           (s->h + 1) / 2, (s->w + 1) / 2, pre};
    if (ws.n == 0) return RC_OK;
    const int64_t plane_u = ws.cout * ws.cin;
    float *u = rc_workspace(RC_WS_WINOGRAD_U, (size_t)(XI * plane_u));
    if (!u) return RC_ERR_NOMEM;
    weight_transform(u, weight, &ws, s->c, data_grad);

    /* With at least an image per thread, threads take chunks (of images, or of an image's tile
     * rows), each running its GEMMs serially with U packed once for all of them (if the
     * workspace grows; else each GEMM packs its own). With fewer, chunks run in turn, each GEMM
     * threaded. */
    const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
    const int chunks_in_parallel = threads > 1 && ws.n >= threads;
    const wino_plan plan = chunk_plan(&ws, chunks_in_parallel ? threads : 1);
    const size_t per_xi = rc_sgemm_packed_a_floats(ws.cout, ws.cin);
    float *panels = chunks_in_parallel ? rc_workspace(RC_WS_PACKED_WEIGHT, per_xi * XI) : NULL;
    if (panels) {
#pragma omp parallel for schedule(static) if (plane_u > 4096)
        for (int xi = 0; xi < XI; xi++)
            rc_sgemm_pack_a_all(panels + xi * per_xi, 0, ws.cout, ws.cin, 1.0f, u + xi * plane_u, ws.cin);
    }
    rc_status status = RC_OK;
    if (chunks_in_parallel) {
#pragma omp parallel for schedule(dynamic, 1)
        for (int64_t q = 0; q < plan.count; q++) {
            const wino_chunk ch = chunk_at(&plan, &ws, q);
            rc_status st = winograd_chunk(out, inp, panels, per_xi, u, bias, &ws, &ch, accumulate);
            if (st != RC_OK) {
#pragma omp atomic write
                status = st;
            }
        }
        return status;
    }
    for (int64_t q = 0; q < plan.count && status == RC_OK; q++) {
        const wino_chunk ch = chunk_at(&plan, &ws, q);
        status = winograd_chunk(out, inp, panels, per_xi, u, bias, &ws, &ch, accumulate);
    }
    return status;
}

rc_status rc_conv2d_winograd(float *out, const float *inp, const float *weight, const float *bias,
                             const rc_conv2d_shape *s, int data_grad, int accumulate) {
    return winograd(out, inp, weight, bias, NULL, s, data_grad, accumulate);
}

rc_status rc_conv2d_winograd_bn_relu_input(float *out, const float *inp, const float *weight,
                                           const rc_conv_input_bn_relu *pre, const rc_conv2d_shape *s) {
    return winograd(out, inp, weight, NULL, pre, s, 0, 0);
}

/* dG = G^T dU G for the 4x4 gradient dU of one transformed filter, added to the 3x3 dg. */
static void weight_adjoint(float *dg, const float *du, int64_t plane) {
    float h[4][3];
    for (int a = 0; a < 4; a++) {
        const float u0 = du[(a * 4) * plane], u1 = du[(a * 4 + 1) * plane];
        const float u2 = du[(a * 4 + 2) * plane], u3 = du[(a * 4 + 3) * plane];
        h[a][0] = u0 + 0.5f * (u1 + u2);
        h[a][1] = 0.5f * (u1 - u2);
        h[a][2] = 0.5f * (u1 + u2) + u3;
    }
    for (int q = 0; q < 3; q++) {
        dg[q] += h[0][q] + 0.5f * (h[1][q] + h[2][q]);
        dg[3 + q] += 0.5f * (h[1][q] - h[2][q]);
        dg[6 + q] += 0.5f * (h[1][q] + h[2][q]) + h[3][q];
    }
}

/* du[xi] (cout, cin) (+)= dM[xi] @ V[xi]^T over the tiles of one chunk. */
static rc_status weight_grad_chunk(float *du, const float *dout, const float *inp,
                                   const wino_shape *ws, const wino_chunk *ch, int first) {
    const int64_t T = ch->nb * (ch->ti1 - ch->ti0) * ws->tw;
    float *v = rc_workspace(RC_WS_COL, (size_t)(XI * ws->cin * T));
    float *dm = rc_workspace(RC_WS_OUT, (size_t)(XI * ws->cout * T));
    if (!v || !dm) return RC_ERR_NOMEM;
    rc_status status = transform_images(INPUT_TRANSFORM, v, T, NULL, inp, NULL, 0, ws, ch);
    if (status == RC_OK) status = transform_images(OUTPUT_ADJOINT, dm, T, NULL, dout, NULL, 0, ws, ch);
    for (int xi = 0; xi < XI && status == RC_OK; xi++)
        status = rc_sgemm(0, 1, ws->cout, ws->cin, T, 1.0f, dm + xi * ws->cout * T, T, v + xi * ws->cin * T,
                          T, first ? 0.0f : 1.0f, du + xi * ws->cout * ws->cin, ws->cin, NULL, RC_GEMM_NO_BIAS);
    return status;
}

/* One thread's share of the weight gradient: chunks t, t + nt, ... summed into du (all zero if
 * it has none). */
static rc_status weight_grad_share(float *du, const float *dout, const float *inp,
                                   const wino_shape *ws, const wino_plan *plan, int t, int nt) {
    rc_status status = RC_OK;
    int first = 1;
    for (int64_t q = t; q < plan->count && status == RC_OK; q += nt, first = 0) {
        const wino_chunk ch = chunk_at(plan, ws, q);
        status = weight_grad_chunk(du, dout, inp, ws, &ch, first);
    }
    if (status == RC_OK && first) memset(du, 0, (size_t)(XI * ws->cout * ws->cin) * sizeof(float));
    return status;
}

static rc_status winograd_backward_weight(float *dweight, const float *dout, const float *inp,
                                          const rc_conv_input_bn_relu *pre, const rc_conv2d_shape *s) {
    if (!rc_conv2d_winograd_applies(s)) return RC_ERR_ARGUMENT;
    const wino_shape ws = {s->n, s->c, s->k, s->h, s->w, (s->h + 1) / 2, (s->w + 1) / 2, pre};
    if (ws.n == 0) return RC_OK;
    const int64_t plane = ws.cout * ws.cin;
    const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
    if (threads == 1 || ws.n < threads) {
        /* Chunks in turn, the transforms and GEMMs threaded (no enclosing team: inside one, even
         * of a single thread, each GEMM would start threads of its own). */
        float *du = rc_workspace(RC_WS_ACCUM, (size_t)(XI * plane));
        if (!du) return RC_ERR_NOMEM;
        const wino_plan plan = chunk_plan(&ws, 1);
        rc_status status = weight_grad_share(du, dout, inp, &ws, &plan, 0, 1);
        if (status != RC_OK) return status;
#pragma omp parallel for schedule(static) if (!omp_in_parallel() && plane > 4096)
        for (int64_t i = 0; i < plane; i++) weight_adjoint(dweight + i * 9, du + i, plane);
        return RC_OK;
    }
    const wino_plan plan = chunk_plan(&ws, threads);
    /* Chunk q goes to thread q % threads, each summing into its own dU; the dUs are then added
     * in thread order: the same sums whatever the timing. */
    float **partial = calloc((size_t)threads, sizeof(float *));
    if (!partial) return RC_ERR_NOMEM;
    rc_status status = RC_OK;
#pragma omp parallel num_threads(threads)
    {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        float *du = rc_workspace(RC_WS_ACCUM, (size_t)(XI * plane));
        partial[t] = du;
        rc_status st = du ? weight_grad_share(du, dout, inp, &ws, &plan, t, nt) : RC_ERR_NOMEM;
        if (st != RC_OK) {
#pragma omp atomic write
            status = st;
        }
#pragma omp barrier
        if (status == RC_OK) {
            const int64_t lo = XI * plane * t / nt, hi = XI * plane * (t + 1) / nt;
            for (int u = 1; u < nt; u++)
                for (int64_t i = lo; i < hi; i++) partial[0][i] += partial[u][i];
        }
#pragma omp barrier
        if (status == RC_OK) {
#pragma omp for schedule(static)
            for (int64_t i = 0; i < plane; i++) weight_adjoint(dweight + i * 9, partial[0] + i, plane);
        }
    }
    free(partial);
    return status;
}

rc_status rc_conv2d_winograd_backward_weight(float *dweight, const float *dout, const float *inp,
                                             const rc_conv2d_shape *s) {
    return winograd_backward_weight(dweight, dout, inp, NULL, s);
}

rc_status rc_conv2d_winograd_backward_weight_bn_relu_input(float *dweight, const float *dout,
                                                           const float *inp,
                                                           const rc_conv_input_bn_relu *pre,
                                                           const rc_conv2d_shape *s) {
    return winograd_backward_weight(dweight, dout, inp, pre, s);
}
