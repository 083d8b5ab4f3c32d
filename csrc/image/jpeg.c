/* JPEG decode/encode through libjpeg, with errors caught at the edge (see jpeg.h). */
#include "image/jpeg.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "image/scratch.h"

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char *err;          /* caller's message buffer */
    rc_status status;   /* status to return after the longjmp */
} error_mgr;

typedef struct {
    struct jpeg_progress_mgr pub;
    int max_scans;
} progress_mgr;

static void on_error_exit(j_common_ptr cinfo) {
    error_mgr *e = (error_mgr *)cinfo->err;
    if (e->err) (*cinfo->err->format_message)(cinfo, e->err);
    e->status = cinfo->err->msg_code == JERR_OUT_OF_MEMORY ? RC_ERR_NOMEM : RC_ERR_CORRUPT;
    longjmp(e->jump, 1);
}

/* Warnings mean the data is damaged: libjpeg would go on and fill the missing part with gray.
 * Only bytes of junk between markers are harmless enough to let through. */
static void on_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return;  /* trace messages */
    if (cinfo->err->msg_code == JWRN_EXTRANEOUS_DATA) return;
    error_mgr *e = (error_mgr *)cinfo->err;
    if (e->err) {
        if (cinfo->err->msg_code == JWRN_JPEG_EOF)
            snprintf(e->err, RC_JPEG_ERRLEN, "image file is truncated (premature end of JPEG data)");
        else
            (*cinfo->err->format_message)(cinfo, e->err);
    }
    e->status = RC_ERR_CORRUPT;
    longjmp(e->jump, 1);
}

/* Called by libjpeg between passes/scans; stops files with absurd numbers of scans
 * (each progressive scan re-walks the whole coefficient buffer: a cheap denial of service). */
static void on_progress(j_common_ptr cinfo) {
    progress_mgr *p = (progress_mgr *)cinfo->progress;
    j_decompress_ptr dinfo = (j_decompress_ptr)cinfo;
    if (p->max_scans > 0 && dinfo->input_scan_number > p->max_scans) {
        error_mgr *e = (error_mgr *)cinfo->err;
        if (e->err)
            snprintf(e->err, RC_JPEG_ERRLEN, "progressive JPEG has more than %d scans (the scan limit)",
                     p->max_scans);
        e->status = RC_ERR_CORRUPT;
        longjmp(e->jump, 1);
    }
}

static void init_errors(error_mgr *e, char *err) {
    jpeg_std_error(&e->pub);
    e->pub.error_exit = on_error_exit;
    e->pub.emit_message = on_message;
    e->err = err;
    e->status = RC_ERR_CORRUPT;
    if (err) err[0] = 0;
}

rc_status rc_jpeg_read_header(const uint8_t *data, size_t size, rc_jpeg_header *hdr, char *err) {
    struct jpeg_decompress_struct cinfo;
    error_mgr e;
    init_errors(&e, err);
    cinfo.err = &e.pub;
    if (size == 0) {
        if (err) snprintf(err, RC_JPEG_ERRLEN, "empty input (0 bytes)");
        return RC_ERR_CORRUPT;
    }
    jpeg_create_decompress(&cinfo);
    if (setjmp(e.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return e.status;
    }
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    hdr->width = (int)cinfo.image_width;
    hdr->height = (int)cinfo.image_height;
    hdr->components = cinfo.num_components;
    hdr->color_space = (int)cinfo.jpeg_color_space;
    hdr->progressive = cinfo.progressive_mode ? 1 : 0;
    jpeg_destroy_decompress(&cinfo);
    return RC_OK;
}

/* Pillow's CMYK->RGB (no color management): Adobe files store inverted CMYK. */
static inline uint8_t muldiv255(int a, int b) {
    int t = a * b + 128;
    return (uint8_t)(((t >> 8) + t) >> 8);
}

static void cmyk_row_to_rgb(uint8_t *out, const uint8_t *in, int n, int inverted) {
    for (int i = 0; i < n; i++, in += 4, out += 3) {
        int c = in[0], m = in[1], y = in[2], k = in[3];
        if (inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
        int nk = 255 - k;
        int r = nk - muldiv255(c, nk), g = nk - muldiv255(m, nk), b = nk - muldiv255(y, nk);
        out[0] = (uint8_t)(r < 0 ? 0 : r);
        out[1] = (uint8_t)(g < 0 ? 0 : g);
        out[2] = (uint8_t)(b < 0 ? 0 : b);
    }
}

/* ITU-R 601-2 luma in Pillow's fixed point (its "L" conversion). */
static void cmyk_row_to_gray(uint8_t *out, const uint8_t *in, int n, int inverted) {
    uint8_t rgb[3];
    for (int i = 0; i < n; i++, in += 4) {
        cmyk_row_to_rgb(rgb, in, 1, inverted);
        out[i] = (uint8_t)((rgb[0] * 19595 + rgb[1] * 38470 + rgb[2] * 7471 + 0x8000) >> 16);
    }
}

/* Decodes opt's rectangle into `out` (packed rows), or, with `view`, into per-thread scratch:
 * then libjpeg writes 3-channel rows there directly (no copy), or converted rows are packed. */
static rc_status decode(const uint8_t *data, size_t size, const rc_jpeg_options *opt, uint8_t *out,
                        rc_jpeg_view *view, char *err) {
    struct jpeg_decompress_struct cinfo;
    error_mgr e;
    progress_mgr progress;
    uint8_t *volatile row = NULL;  /* one decoded row at libjpeg's cropped width (volatile: read after longjmp) */
    uint8_t *volatile base = NULL; /* the view's scratch buffer */
    init_errors(&e, err);
    cinfo.err = &e.pub;
    if (size == 0) {
        if (err) snprintf(err, RC_JPEG_ERRLEN, "empty input (0 bytes)");
        return RC_ERR_CORRUPT;
    }
    int denom = opt->scale_denom;
    if (denom != 1 && denom != 2 && denom != 4 && denom != 8) {
        if (err) snprintf(err, RC_JPEG_ERRLEN, "scale_denom must be 1, 2, 4 or 8, got %d", denom);
        return RC_ERR_ARGUMENT;
    }
    jpeg_create_decompress(&cinfo);
    if (setjmp(e.jump)) {
        free(row);
        rc_scratch_release(RC_SCRATCH_REGION, base);
        jpeg_destroy_decompress(&cinfo);
        return e.status;
    }
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);

    int64_t pixels = (int64_t)cinfo.image_width * cinfo.image_height;
    if (opt->max_pixels > 0 && pixels > opt->max_pixels) {
        if (err)
            snprintf(err, RC_JPEG_ERRLEN, "image size (%u x %u = %lld pixels) exceeds the limit of %lld pixels",
                     cinfo.image_width, cinfo.image_height, (long long)pixels, (long long)opt->max_pixels);
        jpeg_destroy_decompress(&cinfo);
        return RC_ERR_CORRUPT;
    }

    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    int inverted = cmyk && cinfo.saw_Adobe_marker;
    /* Gray output of a color file is Pillow's convert("L") of the RGB pixels, not libjpeg's
     * luma channel (which differs by up to ~8 levels): decode RGB and convert per row. */
    int gray_source = cinfo.jpeg_color_space == JCS_GRAYSCALE;
    int rgb_to_gray = !cmyk && !gray_source && opt->channels == 1;
    if (cmyk) cinfo.out_color_space = JCS_CMYK;  /* libjpeg turns YCCK into CMYK */
    else cinfo.out_color_space = (opt->channels == 1 && gray_source) ? JCS_GRAYSCALE : JCS_RGB;
    cinfo.scale_num = 1;
    cinfo.scale_denom = (unsigned)denom;
    cinfo.dct_method = JDCT_ISLOW;  /* Pillow's and torchvision's choice */
    progress.pub.progress_monitor = on_progress;
    progress.max_scans = opt->max_scans;
    cinfo.progress = &progress.pub;

    jpeg_start_decompress(&cinfo);
    int ow = (int)cinfo.output_width, oh = (int)cinfo.output_height;
    int x = 0, y = 0, w = ow, h = oh;
    if (opt->w > 0) {
        x = opt->x; y = opt->y; w = opt->w; h = opt->h;
        if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > ow || y + h > oh) {
            if (err) snprintf(err, RC_JPEG_ERRLEN, "crop (%d, %d, %d, %d) outside the %dx%d image", x, y, w, h, ow, oh);
            e.status = RC_ERR_ARGUMENT;
            longjmp(e.jump, 1);
        }
    }
    /* libjpeg widens the column range to whole iMCUs; remember where ours starts in it. */
    /* Fancy upsampling at the edges of libjpeg's cropped range replicates pixels instead of
     * reading neighbours, so ask for a margin around ours: the kept pixels are then exact. */
    int margin = 32;
    int mx0 = x - margin < 0 ? 0 : x - margin, mx1 = x + w + margin > ow ? ow : x + w + margin;
    JDIMENSION xoff = (JDIMENSION)mx0, cw = (JDIMENSION)(mx1 - mx0);
    if (mx1 - mx0 < ow) jpeg_crop_scanline(&cinfo, &xoff, &cw);
    int skip_cols = x - (int)xoff;
    int comps = cinfo.output_components;
    int direct = view && !cmyk && !rgb_to_gray && comps == opt->channels;
    size_t line = direct ? (size_t)cw * comps : (size_t)w * opt->channels;
    if (view) {
        base = rc_scratch_acquire(RC_SCRATCH_REGION, line * h + 1);
        if (!base) {
            if (err) snprintf(err, RC_JPEG_ERRLEN, "out of memory");
            e.status = RC_ERR_NOMEM;
            longjmp(e.jump, 1);
        }
        out = base;
    }
    if (!direct) {
        row = malloc((size_t)cw * comps);
        if (!row) {
            if (err) snprintf(err, RC_JPEG_ERRLEN, "out of memory");
            e.status = RC_ERR_NOMEM;
            longjmp(e.jump, 1);
        }
    }
    if (y > 0) jpeg_skip_scanlines(&cinfo, (JDIMENSION)y);
    for (int r = 0; r < h;) {
        JSAMPROW rows[16];
        int n = 1;
        if (direct) {
            n = h - r < 16 ? h - r : 16;
            for (int i = 0; i < n; i++) rows[i] = out + (size_t)(r + i) * line;
        } else {
            rows[0] = row;
        }
        int got = (int)jpeg_read_scanlines(&cinfo, rows, (JDIMENSION)n);
        if (got < 1) {
            if (err) snprintf(err, RC_JPEG_ERRLEN, "image file is truncated");
            e.status = RC_ERR_CORRUPT;
            longjmp(e.jump, 1);
        }
        if (!direct) {
            uint8_t *dst = out + (size_t)r * line;
            const uint8_t *src = row + (size_t)skip_cols * comps;
            if (cmyk) {
                if (opt->channels == 3) cmyk_row_to_rgb(dst, src, w, inverted);
                else cmyk_row_to_gray(dst, src, w, inverted);
            } else if (rgb_to_gray) {
                for (int i = 0; i < w; i++)
                    dst[i] = (uint8_t)((src[3 * i] * 19595 + src[3 * i + 1] * 38470 + src[3 * i + 2] * 7471 + 0x8000) >> 16);
            } else {
                memcpy(dst, src, (size_t)w * opt->channels);
            }
        }
        r += got;
    }
    /* Rows below the rectangle are never decoded; for whole images, finishing checks the tail. */
    if (y + h == oh) jpeg_finish_decompress(&cinfo);
    else jpeg_abort_decompress(&cinfo);
    free(row);
    jpeg_destroy_decompress(&cinfo);
    if (view) {
        view->base = base;
        view->pixels = base + (direct ? (size_t)skip_cols * comps : 0);
        view->stride = line;
    }
    return RC_OK;
}

rc_status rc_jpeg_decode(const uint8_t *data, size_t size, const rc_jpeg_options *opt,
                         uint8_t *out, char *err) {
    return decode(data, size, opt, out, NULL, err);
}

rc_status rc_jpeg_decode_view(const uint8_t *data, size_t size, const rc_jpeg_options *opt,
                              rc_jpeg_view *view, char *err) {
    return decode(data, size, opt, NULL, view, err);
}

void rc_jpeg_view_release(rc_jpeg_view *view) {
    rc_scratch_release(RC_SCRATCH_REGION, view->base);
    view->base = NULL;
}

rc_status rc_jpeg_encode(const uint8_t *pixels, int width, int height, int channels, int quality,
                         uint8_t **out, size_t *out_size, char *err) {
    struct jpeg_compress_struct cinfo;
    error_mgr e;
    unsigned char *buf = NULL;
    unsigned long buf_size = 0;
    init_errors(&e, err);
    cinfo.err = &e.pub;
    jpeg_create_compress(&cinfo);
    if (setjmp(e.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(buf);
        return e.status;
    }
    jpeg_mem_dest(&cinfo, &buf, &buf_size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = channels;
    cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW rows[1] = {(JSAMPROW)(pixels + (size_t)cinfo.next_scanline * width * channels)};
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = buf;
    *out_size = buf_size;
    return RC_OK;
}
