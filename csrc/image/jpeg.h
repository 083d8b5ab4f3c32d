/* JPEG decoding and encoding on libjpeg-turbo's libjpeg API.
 *
 * libjpeg reports errors by longjmp; every entry point here sets up its own jump target, so
 * errors come back as an rc_status plus a message in the caller's `err` buffer. Decoding can
 * scale in the DCT domain (1/1, 1/2, 1/4, 1/8) and decode only a rectangle of the (scaled)
 * image: rows above it are skipped, columns are cropped to whole iMCUs by libjpeg and trimmed
 * here. Limits on the declared pixel count and on the number of progressive scans are checked
 * before any pixel memory is allocated / while scans are consumed. */
#ifndef RESNETC_IMAGE_JPEG_H
#define RESNETC_IMAGE_JPEG_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define RC_JPEG_ERRLEN 200

typedef struct {
    int width, height;   /* as declared in the SOF header */
    int components;      /* 1 (gray), 3 (YCbCr/RGB) or 4 (CMYK/YCCK) */
    int color_space;     /* libjpeg's J_COLOR_SPACE of the file */
    int progressive;     /* 1 for progressive (multi-scan) files */
} rc_jpeg_header;

typedef struct {
    int channels;            /* output: 3 (RGB) or 1 (gray) */
    int64_t max_pixels;      /* refuse width*height above this; <= 0: no limit */
    int max_scans;           /* refuse progressive files with more scans; <= 0: no limit */
    int scale_denom;         /* 1, 2, 4 or 8: DCT-domain downscaling */
    /* Rectangle of the scaled image to decode; w == 0 means the whole image. */
    int x, y, w, h;
} rc_jpeg_options;

/* Size of the image after DCT scaling by 1/denom (libjpeg rounds up). */
static inline int rc_jpeg_scaled(int size, int denom) { return (size + denom - 1) / denom; }

/* Reads the header only. `err` (RC_JPEG_ERRLEN bytes) receives libjpeg's message on failure. */
rc_status rc_jpeg_read_header(const uint8_t *data, size_t size, rc_jpeg_header *hdr, char *err);

/* Decodes into out, which is (opt->h, opt->w, opt->channels) uint8, or the whole scaled image
 * when opt->w == 0. Truncated or corrupt data is an error (RC_ERR_CORRUPT), never a silently
 * gray-filled image; only libjpeg's "extraneous bytes before marker" warning is tolerated. */
rc_status rc_jpeg_decode(const uint8_t *data, size_t size, const rc_jpeg_options *opt,
                         uint8_t *out, char *err);

/* A decoded rectangle in per-thread scratch memory (image/scratch.h, slot RC_SCRATCH_REGION):
 * (h, w, channels) pixels whose rows are `stride` bytes apart, valid until the view is released
 * (release it before the next decode in the same thread). */
typedef struct {
    uint8_t *base;
    const uint8_t *pixels;
    size_t stride;
} rc_jpeg_view;

/* rc_jpeg_decode into a view: RGB rows are written by libjpeg where they stay (no copy), only
 * converted rows (CMYK, gray output of color files) are packed. */
rc_status rc_jpeg_decode_view(const uint8_t *data, size_t size, const rc_jpeg_options *opt,
                              rc_jpeg_view *view, char *err);
void rc_jpeg_view_release(rc_jpeg_view *view);

/* Encodes pixels (height, width, channels) uint8, channels 1 or 3, at quality 1..100 into a
 * malloc'ed buffer (*out, *out_size); the caller frees it with free(). */
rc_status rc_jpeg_encode(const uint8_t *pixels, int width, int height, int channels, int quality,
                         uint8_t **out, size_t *out_size, char *err);

#endif
