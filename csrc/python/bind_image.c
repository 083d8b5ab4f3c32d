/* Binding of csrc/image: JPEG codec, Pillow-exact resampling and color ops, the fused path.
 * Every function validates its arguments, then runs the kernel with the GIL released. */
#include "python/binding.h"

#include <stdlib.h>
#include <string.h>

#include "image/color.h"
#include "image/jpeg.h"
#include "image/pipeline.h"
#include "image/resample.h"

/* Raises the exception of a kernel status with the kernel's own message when it has one. */
static PyObject *raise_image_error(rc_status st, const char *what, const char *msg) {
    if (!msg || !msg[0]) {
        rc_raise_status(st, what);
        return NULL;
    }
    PyObject *type = st == RC_ERR_NOMEM ? PyExc_MemoryError
                   : st == RC_ERR_UNSUPPORTED ? PyExc_NotImplementedError : PyExc_ValueError;
    PyErr_Format(type, "%s", msg);
    return NULL;
}

static PyObject *py_jpeg_header(PyObject *self, PyObject *args) {
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "y*:jpeg_header", &buf)) return NULL;
    rc_jpeg_header hdr;
    char err[RC_JPEG_ERRLEN];
    rc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = rc_jpeg_read_header(buf.buf, (size_t)buf.len, &hdr, err);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&buf);
    if (st != RC_OK) return raise_image_error(st, "jpeg_header", err);
    return Py_BuildValue("(iiiii)", hdr.width, hdr.height, hdr.components, hdr.color_space, hdr.progressive);
}

/* jpeg_decode(data, channels, max_pixels, max_scans, scale_denom, rect or None) -> (h, w, c) uint8 */
static PyObject *py_jpeg_decode(PyObject *self, PyObject *args) {
    Py_buffer buf;
    int channels, max_scans, denom;
    long long max_pixels;
    PyObject *rect;
    if (!PyArg_ParseTuple(args, "y*iLiiO:jpeg_decode", &buf, &channels, &max_pixels, &max_scans, &denom, &rect))
        return NULL;
    PyObject *result = NULL;
    char err[RC_JPEG_ERRLEN] = "";
    rc_jpeg_options opt = {.channels = channels, .max_pixels = max_pixels, .max_scans = max_scans,
                           .scale_denom = denom};
    rc_jpeg_header hdr;
    rc_status st;
    if (channels != 1 && channels != 3) {
        PyErr_Format(PyExc_ValueError, "jpeg_decode: channels must be 1 or 3, got %d", channels);
        goto done;
    }
    if (denom != 1 && denom != 2 && denom != 4 && denom != 8) {
        PyErr_Format(PyExc_ValueError, "jpeg_decode: scale_denom must be 1, 2, 4 or 8, got %d", denom);
        goto done;
    }
    if (rect != Py_None && !PyArg_ParseTuple(rect, "iiii", &opt.x, &opt.y, &opt.w, &opt.h)) goto done;
    Py_BEGIN_ALLOW_THREADS
    st = rc_jpeg_read_header(buf.buf, (size_t)buf.len, &hdr, err);
    Py_END_ALLOW_THREADS
    if (st != RC_OK) {
        raise_image_error(st, "jpeg_decode", err);
        goto done;
    }
    if (max_pixels > 0 && (long long)hdr.width * hdr.height > max_pixels) {
        PyErr_Format(PyExc_ValueError, "image size (%d x %d = %lld pixels) exceeds the limit of %lld pixels",
                     hdr.width, hdr.height, (long long)hdr.width * hdr.height, max_pixels);
        goto done;
    }
    npy_intp dims[3] = {rc_jpeg_scaled(hdr.height, denom), rc_jpeg_scaled(hdr.width, denom), channels};
    if (rect != Py_None) {
        if (opt.w <= 0 || opt.h <= 0) {
            PyErr_Format(PyExc_ValueError, "jpeg_decode: crop width and height must be positive, got %dx%d", opt.w, opt.h);
            goto done;
        }
        dims[0] = opt.h;
        dims[1] = opt.w;
    }
    PyArrayObject *out = rc_new_array(3, dims, NPY_UINT8, 0);
    if (!out) goto done;
    Py_BEGIN_ALLOW_THREADS
    st = rc_jpeg_decode(buf.buf, (size_t)buf.len, &opt, PyArray_DATA(out), err);
    Py_END_ALLOW_THREADS
    if (st != RC_OK) {
        Py_DECREF(out);
        raise_image_error(st, "jpeg_decode", err);
        goto done;
    }
    result = (PyObject *)out;
done:
    PyBuffer_Release(&buf);
    return result;
}

static PyObject *py_jpeg_encode(PyObject *self, PyObject *args) {
    PyObject *obj;
    int quality;
    if (!PyArg_ParseTuple(args, "Oi:jpeg_encode", &obj, &quality)) return NULL;
    PyArrayObject *img = rc_check_array(obj, "encode_jpeg: image", NPY_UINT8, 3);
    if (!img) return NULL;
    int h = (int)PyArray_DIM(img, 0), w = (int)PyArray_DIM(img, 1), c = (int)PyArray_DIM(img, 2);
    if (c != 1 && c != 3) {
        PyErr_Format(PyExc_ValueError, "encode_jpeg: image must have 1 or 3 channels, got %d", c);
        return NULL;
    }
    if (h < 1 || w < 1 || h > 65500 || w > 65500) {
        PyErr_Format(PyExc_ValueError, "encode_jpeg: image size %dx%d outside 1..65500", w, h);
        return NULL;
    }
    if (quality < 1 || quality > 100) {
        PyErr_Format(PyExc_ValueError, "encode_jpeg: quality must be in 1..100, got %d", quality);
        return NULL;
    }
    uint8_t *bytes = NULL;
    size_t n = 0;
    char err[RC_JPEG_ERRLEN] = "";
    rc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = rc_jpeg_encode(PyArray_DATA(img), w, h, c, quality, &bytes, &n, err);
    Py_END_ALLOW_THREADS
    if (st != RC_OK) return raise_image_error(st, "encode_jpeg", err);
    PyObject *res = PyBytes_FromStringAndSize((const char *)bytes, (Py_ssize_t)n);
    free(bytes);
    return res;
}

static int parse_filter(int filter) {
    if (filter < 1 || filter > 5) {
        PyErr_Format(PyExc_ValueError, "resample: unsupported filter %d (expected 1..5: lanczos, bilinear, bicubic, box, hamming)", filter);
        return -1;
    }
    return 0;
}

/* The filter weights of both axes for a resize of a w x h image's `box` to ow x oh, after
 * checking the output size; on failure raises and frees whatever it made. */
static int resize_weights(rc_axis_weights *wx, rc_axis_weights *wy, int w, int h, const float box[4],
                          int ow, int oh, int filter) {
    if (ow < 1 || oh < 1) {
        PyErr_Format(PyExc_ValueError, "resize: output size must be positive, got %dx%d", ow, oh);
        return -1;
    }
    rc_status st = rc_axis_weights_init(wx, w, box[0], box[2], ow, 0, ow, filter);
    if (st == RC_OK) {
        st = rc_axis_weights_init(wy, h, box[1], box[3], oh, 0, oh, filter);
        if (st != RC_OK) rc_axis_weights_free(wx);
    }
    if (st != RC_OK) {
        raise_image_error(st, "resize", NULL);
        return -1;
    }
    return 0;
}

/* resample_u8(img (h, w, c) uint8, out_w, out_h, filter, (x0, y0, x1, y1)) -> (out_h, out_w, c)
 * resample_f32(img (p, h, w) float32, out_w, out_h, filter, box) -> (p, out_h, out_w) */
static PyObject *resample(PyObject *args, int u8) {
    PyObject *obj;
    int ow, oh, filter;
    float box[4];
    if (!PyArg_ParseTuple(args, u8 ? "Oiii(ffff):resample_u8" : "Oiii(ffff):resample_f32", &obj, &ow, &oh,
                          &filter, &box[0], &box[1], &box[2], &box[3]))
        return NULL;
    PyArrayObject *img = rc_check_array(obj, u8 ? "resize: image" : "resize: tensor",
                                        u8 ? NPY_UINT8 : NPY_FLOAT32, 3);
    if (!img || parse_filter(filter) < 0) return NULL;
    /* (h, w, c) interleaved bytes or (p, h, w) float planes */
    const int d0 = (int)PyArray_DIM(img, 0), d1 = (int)PyArray_DIM(img, 1), d2 = (int)PyArray_DIM(img, 2);
    const int h = u8 ? d0 : d1, w = u8 ? d1 : d2;
    rc_axis_weights wx, wy;
    if (resize_weights(&wx, &wy, w, h, box, ow, oh, filter) < 0) return NULL;
    rc_status st = RC_OK;
    npy_intp dims[3] = {u8 ? oh : d0, u8 ? ow : oh, u8 ? d2 : ow};
    PyArrayObject *out = rc_new_array(3, dims, u8 ? NPY_UINT8 : NPY_FLOAT32, 0);
    if (out) {
        Py_BEGIN_ALLOW_THREADS
        st = u8 ? rc_resample_u8(PyArray_DATA(out), PyArray_DATA(img), w, h, (size_t)w * d2, d2, &wx, &wy)
                : rc_resample_f32(PyArray_DATA(out), PyArray_DATA(img), d0, w, h, &wx, &wy);
        Py_END_ALLOW_THREADS
    }
    rc_axis_weights_free(&wx);
    rc_axis_weights_free(&wy);
    if (out && st != RC_OK) {
        Py_CLEAR(out);
        raise_image_error(st, "resize", NULL);
    }
    return (PyObject *)out;
}

static PyObject *py_resample_u8(PyObject *self, PyObject *args) { return resample(args, 1); }

static PyObject *py_resample_f32(PyObject *self, PyObject *args) { return resample(args, 0); }

/* adjust_u8(img (h, w, 3) uint8, op, factor): in place. */
static PyObject *py_adjust_u8(PyObject *self, PyObject *args) {
    PyObject *obj;
    int op;
    float factor;
    if (!PyArg_ParseTuple(args, "Oif:adjust_u8", &obj, &op, &factor)) return NULL;
    PyArrayObject *img = rc_check_output(obj, "color adjustment: image", NPY_UINT8, 3);
    if (!img) return NULL;
    if (PyArray_DIM(img, 2) != 3) {
        PyErr_Format(PyExc_ValueError, "color adjustment: image must have 3 channels, got %ld", (long)PyArray_DIM(img, 2));
        return NULL;
    }
    if (op < RC_COLOR_BRIGHTNESS || op > RC_COLOR_HUE) {
        PyErr_Format(PyExc_ValueError, "color adjustment: unknown op %d", op);
        return NULL;
    }
    size_t n = (size_t)PyArray_DIM(img, 0) * PyArray_DIM(img, 1);
    Py_BEGIN_ALLOW_THREADS
    rc_adjust_u8(PyArray_DATA(img), n, op, factor);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

static PyObject *py_rgb_to_gray_u8(PyObject *self, PyObject *obj) {
    PyArrayObject *img = rc_check_array(obj, "rgb_to_grayscale: image", NPY_UINT8, 3);
    if (!img) return NULL;
    if (PyArray_DIM(img, 2) != 3) {
        PyErr_Format(PyExc_ValueError, "rgb_to_grayscale: image must have 3 channels, got %ld", (long)PyArray_DIM(img, 2));
        return NULL;
    }
    npy_intp dims[2] = {PyArray_DIM(img, 0), PyArray_DIM(img, 1)};
    PyArrayObject *out = rc_new_array(2, dims, NPY_UINT8, 0);
    if (!out) return NULL;
    Py_BEGIN_ALLOW_THREADS
    rc_rgb_to_gray_u8(PyArray_DATA(out), PyArray_DATA(img), (size_t)dims[0] * dims[1]);
    Py_END_ALLOW_THREADS
    return (PyObject *)out;
}

static int parse_triple(PyObject *obj, float *v, const char *what) {
    if (!PyArg_ParseTuple(obj, "fff", &v[0], &v[1], &v[2])) {
        PyErr_Format(PyExc_ValueError, "%s must be 3 floats", what);
        return -1;
    }
    return 0;
}

/* to_tensor_u8(img (h, w, c) uint8, mean or None, std or None) -> (c, h, w) float32 */
static PyObject *py_to_tensor_u8(PyObject *self, PyObject *args) {
    PyObject *obj, *mean_obj, *std_obj;
    if (!PyArg_ParseTuple(args, "OOO:to_tensor_u8", &obj, &mean_obj, &std_obj)) return NULL;
    PyArrayObject *img = rc_check_array(obj, "to_tensor: image", NPY_UINT8, 3);
    if (!img) return NULL;
    int h = (int)PyArray_DIM(img, 0), w = (int)PyArray_DIM(img, 1), c = (int)PyArray_DIM(img, 2);
    float mean[3], std[3];
    int normalize = mean_obj != Py_None;
    if (normalize) {
        if (c != 3) {
            PyErr_SetString(PyExc_ValueError, "to_tensor: fused normalize needs 3 channels");
            return NULL;
        }
        if (parse_triple(mean_obj, mean, "mean") < 0 || parse_triple(std_obj, std, "std") < 0) return NULL;
    }
    npy_intp dims[3] = {c, h, w};
    PyArrayObject *out = rc_new_array(3, dims, NPY_FLOAT32, 0);
    if (!out) return NULL;
    Py_BEGIN_ALLOW_THREADS
    rc_to_tensor_u8(PyArray_DATA(out), PyArray_DATA(img), h, w, c, normalize ? mean : NULL, normalize ? std : NULL);
    Py_END_ALLOW_THREADS
    return (PyObject *)out;
}

/* jpeg_pipeline(data, crop (x, y, w, h), resize (w, h), filter, out_rect (x, y, w, h), hflip, vflip,
 *               color [(op, factor), ...], mean or None, std or None, max_pixels, max_scans,
 *               dct_scaling, out or None) -> (out (3, h, w) float32, dct denominator used) */
static PyObject *py_jpeg_pipeline(PyObject *self, PyObject *args) {
    Py_buffer buf;
    rc_pipeline p;
    memset(&p, 0, sizeof p);
    PyObject *color, *mean_obj, *std_obj, *out_obj;
    long long max_pixels;
    if (!PyArg_ParseTuple(args, "y*(iiii)(ii)i(iiii)iiOOOLiiO:jpeg_pipeline", &buf, &p.crop_x, &p.crop_y,
                          &p.crop_w, &p.crop_h, &p.resize_w, &p.resize_h, &p.filter, &p.out_x, &p.out_y,
                          &p.out_w, &p.out_h, &p.hflip, &p.vflip, &color, &mean_obj, &std_obj, &max_pixels,
                          &p.max_scans, &p.dct_scaling, &out_obj))
        return NULL;
    p.max_pixels = max_pixels;
    PyObject *result = NULL;
    PyArrayObject *out = NULL;
    if (parse_filter(p.filter) < 0) goto done;
    if (p.resize_w < 1 || p.resize_h < 1 || p.out_w < 1 || p.out_h < 1 || p.out_x < 0 || p.out_y < 0 ||
        p.out_x + p.out_w > p.resize_w || p.out_y + p.out_h > p.resize_h) {
        PyErr_Format(PyExc_ValueError, "jpeg_pipeline: output rect (%d, %d, %d, %d) not inside the resized %dx%d image",
                     p.out_x, p.out_y, p.out_w, p.out_h, p.resize_w, p.resize_h);
        goto done;
    }
    if (!PyList_Check(color) || PyList_GET_SIZE(color) > RC_PIPELINE_MAX_COLOR) {
        PyErr_Format(PyExc_ValueError, "jpeg_pipeline: color must be a list of at most %d (op, factor) pairs",
                     RC_PIPELINE_MAX_COLOR);
        goto done;
    }
    p.n_color = (int)PyList_GET_SIZE(color);
    for (int i = 0; i < p.n_color; i++) {
        if (!PyArg_ParseTuple(PyList_GET_ITEM(color, i), "if", &p.color_op[i], &p.color_factor[i])) goto done;
        if (p.color_op[i] < RC_COLOR_BRIGHTNESS || p.color_op[i] > RC_COLOR_HUE) {
            PyErr_Format(PyExc_ValueError, "jpeg_pipeline: unknown color op %d", p.color_op[i]);
            goto done;
        }
    }
    p.normalize = mean_obj != Py_None;
    if (p.normalize && (parse_triple(mean_obj, p.mean, "mean") < 0 || parse_triple(std_obj, p.std, "std") < 0))
        goto done;
    npy_intp dims[3] = {3, p.out_h, p.out_w};
    if (out_obj == Py_None) {
        out = rc_new_array(3, dims, NPY_FLOAT32, 0);
        if (!out) goto done;
    } else {
        PyArrayObject *given = rc_check_output(out_obj, "jpeg_pipeline: out", NPY_FLOAT32, 3);
        if (!given || rc_check_shape(given, "jpeg_pipeline: out", 3, dims) < 0) goto done;
        Py_INCREF(given);  /* borrowed from the caller: own it like a new array */
        out = given;
    }
    char err[RC_JPEG_ERRLEN] = "";
    int denom = 1;
    rc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = rc_pipeline_jpeg(PyArray_DATA(out), buf.buf, (size_t)buf.len, &p, &denom, err);
    Py_END_ALLOW_THREADS
    if (st != RC_OK) {
        raise_image_error(st, "jpeg_pipeline", err);
        goto done;
    }
    result = Py_BuildValue("(Oi)", out, denom);
done:
    Py_XDECREF(out);
    PyBuffer_Release(&buf);
    return result;
}

PyMethodDef rc_image_methods[] = {
    {"jpeg_header", py_jpeg_header, METH_VARARGS, "jpeg_header(data) -> (width, height, components, color_space, progressive)"},
    {"jpeg_decode", py_jpeg_decode, METH_VARARGS, "jpeg_decode(data, channels, max_pixels, max_scans, scale_denom, rect) -> uint8 (h, w, c)"},
    {"jpeg_encode", py_jpeg_encode, METH_VARARGS, "jpeg_encode(image uint8 (h, w, c), quality) -> bytes"},
    {"resample_u8", py_resample_u8, METH_VARARGS, "resample_u8(image, out_w, out_h, filter, box) -> uint8 image (Pillow-exact)"},
    {"resample_f32", py_resample_f32, METH_VARARGS, "resample_f32(planes, out_w, out_h, filter, box) -> float32 planes"},
    {"adjust_u8", py_adjust_u8, METH_VARARGS, "adjust_u8(image, op, factor): brightness/contrast/saturation/hue in place"},
    {"rgb_to_gray_u8", py_rgb_to_gray_u8, METH_O, "rgb_to_gray_u8(image) -> (h, w) uint8 (Pillow's L)"},
    {"to_tensor_u8", py_to_tensor_u8, METH_VARARGS, "to_tensor_u8(image, mean, std) -> float32 (c, h, w)"},
    {"jpeg_pipeline", py_jpeg_pipeline, METH_VARARGS, "The fused decode-crop-resize-flip-color-normalize path."},
    {NULL, NULL, 0, NULL},
};
