/* Elementwise activations: ReLU and the masked scaling that implements dropout. */
#ifndef RESNETC_NN_ACTIVATION_H
#define RESNETC_NN_ACTIVATION_H

#include <stdint.h>

/* out = max(inp, 0), NaN kept (as torch). out may alias inp (in-place ReLU). */
void rc_relu_forward(float *out,       // (n)
                     const float *inp, // (n)
                     int64_t n);

/* dinp = 0 where out <= 0, else dout (NaN outputs pass it, as in torch): the mask comes from the forward's output, so the
 * input need not be kept (and in-place ReLU works). Overwrites dinp; may alias dout. */
void rc_relu_backward(float *dinp,       // (n)
                      const float *dout, // (n)
                      const float *out,  // (n) the forward's output
                      int64_t n);

/* out = inp * (mask ? scale : 0). Dropout's forward and (with dout as inp) its backward.
 * out may alias inp. */
void rc_masked_scale(float *out,            // (n)
                     const float *inp,      // (n)
                     const unsigned char *mask, // (n) 0 or 1
                     float scale, int64_t n);

#endif
