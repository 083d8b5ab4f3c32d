/* The fused JPEG -> normalized tensor path (see pipeline.h). */
#include "image/pipeline.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "image/color.h"
#include "image/resample.h"
#include "image/scratch.h"

/* Largest libjpeg scale 1/d whose decoded crop is still at least twice the resize target, so
 * the resize's antialiasing filter still does the last reduction (Pillow's reducing_gap of 2
 * for JPEG drafts): decoding straight down to the target was up to 0.26 off the exact path. */
static int choose_denom(const rc_pipeline *p) {
    for (int d = 8; d >= 2; d /= 2)
        if (p->crop_w >= 2 * d * p->resize_w && p->crop_h >= 2 * d * p->resize_h) return d;
    return 1;
}

/* Axis weights of the crop [c0, c0 + cn) of a full axis, as seen after scaling by 1/d:
 * the decoded segment starts at *origin. */
static rc_status axis_for(rc_axis_weights *w, int *origin, int full, int c0, int cn, int d,
                          int resize, int o0, int on, int filter) {
    if (d == 1) {
        *origin = c0;
        return rc_axis_weights_init(w, cn, 0.0f, (float)cn, resize, o0, on, filter);
    }
    int scaled = rc_jpeg_scaled(full, d);
    int lo = c0 / d, hi = (c0 + cn + d - 1) / d;
    if (hi > scaled) hi = scaled;
    *origin = lo;
    return rc_axis_weights_init(w, hi - lo, (float)c0 / d - lo, (float)(c0 + cn) / d - lo, resize, o0, on, filter);
}

rc_status rc_pipeline_jpeg(float *out, const uint8_t *data, size_t size, const rc_pipeline *p,
                           int *used_denom, char *err) {
    rc_jpeg_header hdr;
    rc_axis_weights wx = {0}, wy = {0};
    rc_jpeg_view region = {0};
    uint8_t *small = NULL;
    rc_status st = rc_jpeg_read_header(data, size, &hdr, err);
    if (st != RC_OK) return st;
    if (p->max_pixels > 0 && (int64_t)hdr.width * hdr.height > p->max_pixels) {
        snprintf(err, RC_JPEG_ERRLEN, "image size (%d x %d = %lld pixels) exceeds the limit of %lld pixels",
                 hdr.width, hdr.height, (long long)hdr.width * hdr.height, (long long)p->max_pixels);
        return RC_ERR_CORRUPT;
    }
    if (p->crop_x < 0 || p->crop_y < 0 || p->crop_w <= 0 || p->crop_h <= 0 ||
        p->crop_x + p->crop_w > hdr.width || p->crop_y + p->crop_h > hdr.height) {
        snprintf(err, RC_JPEG_ERRLEN, "crop (%d, %d, %d, %d) outside the %dx%d image", p->crop_x,
                 p->crop_y, p->crop_w, p->crop_h, hdr.width, hdr.height);
        return RC_ERR_ARGUMENT;
    }
    int d = p->dct_scaling ? choose_denom(p) : 1;
    int ox, oy;
    st = axis_for(&wx, &ox, hdr.width, p->crop_x, p->crop_w, d, p->resize_w, p->out_x, p->out_w, p->filter);
    if (st == RC_OK)
        st = axis_for(&wy, &oy, hdr.height, p->crop_y, p->crop_h, d, p->resize_h, p->out_y, p->out_h, p->filter);
    if (st != RC_OK) {
        snprintf(err, RC_JPEG_ERRLEN, "invalid resize or crop parameters");
        goto done;
    }
    /* Decode only what the weights read. */
    int x0, x1, y0, y1;
    rc_axis_weights_span(&wx, &x0, &x1);
    rc_axis_weights_span(&wy, &y0, &y1);
    rc_axis_weights_shift(&wx, x0);
    rc_axis_weights_shift(&wy, y0);
    int rw = x1 - x0, rh = y1 - y0;
    small = rc_scratch_acquire(RC_SCRATCH_RESIZED, (size_t)p->out_w * p->out_h * 3 + 1);
    if (!small) {
        snprintf(err, RC_JPEG_ERRLEN, "out of memory");
        st = RC_ERR_NOMEM;
        goto done;
    }
    rc_jpeg_options opt = {.channels = 3, .max_pixels = p->max_pixels, .max_scans = p->max_scans,
                           .scale_denom = d, .x = ox + x0, .y = oy + y0, .w = rw, .h = rh};
    st = rc_jpeg_decode_view(data, size, &opt, &region, err);
    if (st != RC_OK) goto done;
    st = rc_resample_u8(small, region.pixels, rw, rh, region.stride, 3, &wx, &wy);
    if (st != RC_OK) {
        snprintf(err, RC_JPEG_ERRLEN, "resample failed");
        goto done;
    }
    st = rc_color_to_tensor_u8(out, small, p->out_h, p->out_w, p->hflip, p->vflip, p->n_color, p->color_op,
                               p->color_factor, p->normalize ? p->mean : NULL, p->normalize ? p->std : NULL);
    if (st != RC_OK) {
        snprintf(err, RC_JPEG_ERRLEN, "out of memory");
        goto done;
    }
    if (used_denom) *used_denom = d;
done:
    rc_jpeg_view_release(&region);
    rc_scratch_release(RC_SCRATCH_RESIZED, small);
    rc_axis_weights_free(&wx);
    rc_axis_weights_free(&wy);
    return st;
}
