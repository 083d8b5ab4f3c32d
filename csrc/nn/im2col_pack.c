#include "nn/im2col_pack.h"

#include <string.h>

/* A run of a block's columns: consecutive pixels of one output row within one panel. */
typedef struct {
    int64_t dst;      /* offset in the packed block of the run's first column (row 0) */
    int64_t len;
    int64_t image;    /* offset of the run's image from src->img */
    int64_t oh, ow;   /* its first pixel */
} pixel_run;

enum { RUNS_MAX = 256 };

/* The runs of columns [j, j_end), at most RUNS_MAX of them; returns how many and moves *j past
 * them. The divisions happen here, once per run, not once per run and row of B. */
static int64_t pixel_runs(pixel_run *runs, const rc_im2col_source *src, int64_t j0, int64_t *j,
                          int64_t j_end, int nr, int64_t panel_floats) {
    const rc_conv2d_shape *s = src->s;
    const int64_t per_image = s->oh * s->ow;
    int64_t count = 0;
    while (*j < j_end && count < RUNS_MAX) {
        const int64_t at = *j % per_image, col = *j - j0, lane = col % nr;
        pixel_run *run = &runs[count++];
        run->image = *j / per_image * s->c * s->h * s->w;
        run->oh = at / s->ow;
        run->ow = at % s->ow;
        run->dst = col / nr * panel_floats + lane;
        run->len = nr - lane;
        if (run->len > s->ow - run->ow) run->len = s->ow - run->ow;
        if (run->len > j_end - *j) run->len = j_end - *j;
        *j += run->len;
    }
    return count;
}

/* B's rows are taken ROW_GROUP at a time, run by run: each visit to a panel then writes
 * ROW_GROUP consecutive rows of it (512 contiguous bytes), as pack_b does; one row at a time,
 * the writes hop from panel to panel and stall on the stores. */
enum { ROW_GROUP = 8 };

void rc_im2col_pack(const void *ctx, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr,
                    int64_t panel_floats, float *bp) {
    const rc_im2col_source *src = ctx;
    const rc_conv2d_shape *s = src->s;
    const int64_t kk = s->kh * s->kw, hw = s->h * s->w;
    pixel_run runs[RUNS_MAX];
    for (int64_t j = j0; j < j0 + nc;) {
        const int64_t count = pixel_runs(runs, src, j0, &j, j0 + nc, nr, panel_floats);
        for (int64_t r0 = p0; r0 < p0 + kc; r0 += ROW_GROUP) {
            const int rows = (int)(p0 + kc - r0 < ROW_GROUP ? p0 + kc - r0 : ROW_GROUP);
            const float *plane[ROW_GROUP];
            int64_t row_shift[ROW_GROUP], lo[ROW_GROUP], hi[ROW_GROUP];
            for (int u = 0; u < rows; u++) {
                const int64_t r = r0 + u, c = src->c0 + r / kk, ki = (r % kk) / s->kw, kj = r % s->kw;
                const int64_t col_off = kj * s->dilation_w - s->pad_w;
                rc_conv_valid_range(col_off, s->stride_w, s->w, s->ow, &lo[u], &hi[u]);
                plane[u] = src->img + c * hw + col_off;
                row_shift[u] = ki * s->dilation_h - s->pad_h;
            }
            float *block_rows = bp + (r0 - p0) * nr;
            for (int64_t q = 0; q < count; q++) {
                const pixel_run *run = &runs[q];
                const int64_t end = run->ow + run->len;
                for (int u = 0; u < rows; u++) {
                    float *dst = block_rows + u * nr + run->dst;
                    const int64_t ih = run->oh * s->stride_h + row_shift[u];
                    if (ih < 0 || ih >= s->h) {
                        for (int64_t t = 0; t < run->len; t++) dst[t] = 0.0f;
                        continue;
                    }
                    const float *line = plane[u] + run->image + ih * s->w;
                    if (s->stride_w == 1 && run->ow >= lo[u] && end <= hi[u]) {
                        const float *from = line + run->ow;
                        if (run->len == 16) memcpy(dst, from, 16 * sizeof(float)); /* inlined */
                        else
                            for (int64_t t = 0; t < run->len; t++) dst[t] = from[t];
                        continue;
                    }
                    /* Zeros left and right of the columns whose window lies inside the row. */
                    const int64_t a = run->ow > lo[u] ? run->ow : lo[u], b = end < hi[u] ? end : hi[u];
                    int64_t t = 0;
                    for (; t < a - run->ow && t < run->len; t++) dst[t] = 0.0f;
                    if (s->stride_w == 1)
                        for (; t < b - run->ow; t++) dst[t] = line[run->ow + t];
                    else if (s->stride_w == 2) /* a constant stride: vectorised with shuffles */
                        for (; t < b - run->ow; t++) dst[t] = line[2 * (run->ow + t)];
                    else
                        for (; t < b - run->ow; t++) dst[t] = line[(run->ow + t) * s->stride_w];
                    for (; t < run->len; t++) dst[t] = 0.0f;
                }
            }
        }
    }
    /* The last panel's columns past nc. */
    if (nc % nr) {
        float *last = bp + nc / nr * panel_floats;
        for (int64_t r = 0; r < kc; r++)
            for (int64_t lane = nc % nr; lane < nr; lane++) last[r * nr + lane] = 0.0f;
    }
}
