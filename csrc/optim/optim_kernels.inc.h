/* The element loops of every optimizer, written once over a small vector vocabulary and
 * compiled once per lane width. The including file defines:
 *   RC_SUFFIX            name suffix of the functions made here
 *   rc_vf, RC_VLEN       the vector type and its float lanes (1 = plain float)
 *   vload vstore vset vadd vsub vmul vdiv vsqrt vneg vnanmax
 * and calls the functions on ranges whose length is a multiple of RC_VLEN.
 * Each vector op is one IEEE float32 operation per lane (no fused multiply-add), so every lane
 * width rounds exactly like the scalar build: ISA paths agree bit for bit. */

#define RC_CAT2(a, b) a##b
#define RC_CAT(a, b) RC_CAT2(a, b)
#define RC_NAME(base) RC_CAT(base, RC_SUFFIX)

/* torch's lerp: self + w (end - self) for w < 0.5, else end - (end - self)(1 - w). */
static inline rc_vf RC_NAME(lerp_)(rc_vf self, rc_vf end, rc_vf w, rc_vf one_minus_w, int small) {
    return small ? vadd(self, vmul(w, vsub(end, self))) : vsub(end, vmul(vsub(end, self), one_minus_w));
}

static void RC_NAME(sgd_)(const rc_optim_hparams *h, const rc_optim_tensor *t, int64_t begin, int64_t end) {
    float *restrict p = t->param;
    const float *restrict g = t->grad;
    float *restrict buf = t->state0;
    const rc_vf wd = vset((float)h->weight_decay), mom = vset((float)h->momentum);
    const rc_vf damp1 = vset((float)(1.0 - h->dampening)), neg_lr = vset((float)(-h->lr));
    const int use_wd = h->weight_decay != 0, use_mom = h->momentum != 0, nesterov = h->nesterov;
    const int first = t->coef[0] != 0, maximize = h->maximize;
    for (int64_t i = begin; i < end; i += RC_VLEN) {
        rc_vf d = vload(g + i), pi = vload(p + i);
        if (maximize) d = vneg(d);
        if (use_wd) d = vadd(d, vmul(wd, pi));
        if (use_mom) {
            rc_vf b = first ? d : vadd(vmul(vload(buf + i), mom), vmul(damp1, d));
            vstore(buf + i, b);
            d = nesterov ? vadd(d, vmul(mom, b)) : b;
        }
        vstore(p + i, vadd(pi, vmul(neg_lr, d)));
    }
}

/* Weight decay shared by Adam, NAdam and RAdam: decoupled scales p, coupled adds wd p to d. */
#define RC_ADAM_FAMILY_PROLOGUE                                                                  \
    rc_vf d = vload(g + i), pi = vload(p + i);                                                    \
    if (maximize) d = vneg(d);                                                                    \
    if (decoupled) pi = vmul(pi, decay);                                                          \
    if (coupled) d = vadd(d, vmul(wd, pi));                                                       \
    rc_vf mi = RC_NAME(lerp_)(vload(m + i), d, w1, one_minus_w1, small1);                         \
    rc_vf vi = vadd(vmul(vload(v + i), beta2), vmul(vmul(one_minus_beta2, d), d));                \
    vstore(m + i, mi);                                                                            \
    vstore(v + i, vi);

#define RC_ADAM_FAMILY_SCALARS                                                                   \
    float *restrict p = t->param;                                                                 \
    const float *restrict g = t->grad;                                                            \
    float *restrict m = t->state0, *restrict v = t->state1;                                       \
    const int maximize = h->maximize;                                                             \
    const int coupled = h->weight_decay != 0 && !h->decoupled_weight_decay;                       \
    const int decoupled = h->weight_decay != 0 && h->decoupled_weight_decay;                      \
    const rc_vf wd = vset((float)h->weight_decay), decay = vset((float)(1.0 - h->lr * h->weight_decay)); \
    const float w1f = (float)(1.0 - h->beta1);                                                    \
    const rc_vf w1 = vset(w1f), one_minus_w1 = vset(1.0f - w1f);                                  \
    const int small1 = w1f < 0.5f;                                                                \
    const rc_vf beta2 = vset((float)h->beta2), one_minus_beta2 = vset((float)(1.0 - h->beta2));   \
    const rc_vf eps = vset((float)h->eps);

static void RC_NAME(adam_)(const rc_optim_hparams *h, const rc_optim_tensor *t, int64_t begin, int64_t end) {
    RC_ADAM_FAMILY_SCALARS
    float *restrict vmax = t->state2;
    const int amsgrad = h->amsgrad;
    const rc_vf neg_step_size = vset((float)(-t->coef[0])), bc2_sqrt = vset((float)t->coef[1]);
    for (int64_t i = begin; i < end; i += RC_VLEN) {
        RC_ADAM_FAMILY_PROLOGUE
        if (amsgrad) {
            vi = vnanmax(vload(vmax + i), vi);
            vstore(vmax + i, vi);
        }
        rc_vf denom = vadd(vdiv(vsqrt(vi), bc2_sqrt), eps);
        vstore(p + i, vadd(pi, vmul(neg_step_size, vdiv(mi, denom))));
    }
}

static void RC_NAME(nadam_)(const rc_optim_hparams *h, const rc_optim_tensor *t, int64_t begin, int64_t end) {
    RC_ADAM_FAMILY_SCALARS
    const rc_vf bc2 = vset((float)t->coef[0]), c_grad = vset((float)t->coef[1]);
    const rc_vf c_avg = vset((float)t->coef[2]);
    for (int64_t i = begin; i < end; i += RC_VLEN) {
        RC_ADAM_FAMILY_PROLOGUE
        rc_vf denom = vadd(vsqrt(vdiv(vi, bc2)), eps);
        pi = vadd(pi, vmul(c_grad, vdiv(d, denom)));
        vstore(p + i, vadd(pi, vmul(c_avg, vdiv(mi, denom))));
    }
}

static void RC_NAME(radam_)(const rc_optim_hparams *h, const rc_optim_tensor *t, int64_t begin, int64_t end) {
    RC_ADAM_FAMILY_SCALARS
    const rc_vf lr = vset((float)h->lr), bc1 = vset((float)t->coef[0]), bc2_sqrt = vset((float)t->coef[1]);
    const rc_vf rect = vset((float)t->coef[2]), minus_one = vset(-1.0f), one = vset(1.0f);
    const int rectify = t->coef[3] != 0;
    for (int64_t i = begin; i < end; i += RC_VLEN) {
        RC_ADAM_FAMILY_PROLOGUE
        rc_vf upd = vmul(vdiv(mi, bc1), lr);
        /* torch computes float / tensor as reciprocal(tensor) * float */
        if (rectify) upd = vmul(vmul(upd, vmul(vdiv(one, vadd(vsqrt(vi), eps)), bc2_sqrt)), rect);
        vstore(p + i, vadd(pi, vmul(minus_one, upd)));
    }
}

static void RC_NAME(rmsprop_)(const rc_optim_hparams *h, const rc_optim_tensor *t, int64_t begin, int64_t end) {
    float *restrict p = t->param;
    const float *restrict g = t->grad;
    float *restrict sq = t->state0, *restrict buf = t->state1, *restrict gavg = t->state2;
    const int maximize = h->maximize, use_wd = h->weight_decay != 0;
    const int centered = h->centered, use_mom = h->momentum > 0;
    const float wf = (float)(1.0 - h->beta2);
    const rc_vf w = vset(wf), one_minus_w = vset(1.0f - wf);
    const int small = wf < 0.5f;
    const rc_vf wd = vset((float)h->weight_decay), alpha = vset((float)h->beta2), one_minus_alpha = w;
    const rc_vf eps = vset((float)h->eps), mom = vset((float)h->momentum), neg_lr = vset((float)(-h->lr));
    const rc_vf minus_one = vset(-1.0f);
    for (int64_t i = begin; i < end; i += RC_VLEN) {
        rc_vf d = vload(g + i), pi = vload(p + i);
        if (maximize) d = vneg(d);
        if (use_wd) d = vadd(d, vmul(wd, pi));
        rc_vf s = vadd(vmul(vload(sq + i), alpha), vmul(vmul(one_minus_alpha, d), d));
        vstore(sq + i, s);
        rc_vf avg;
        if (centered) {
            rc_vf ga = RC_NAME(lerp_)(vload(gavg + i), d, w, one_minus_w, small);
            vstore(gavg + i, ga);
            avg = vsqrt(vadd(s, vmul(vmul(minus_one, ga), ga)));
        } else {
            avg = vsqrt(s);
        }
        avg = vadd(avg, eps);
        if (use_mom) {
            rc_vf b = vadd(vmul(vload(buf + i), mom), vdiv(d, avg));
            vstore(buf + i, b);
            vstore(p + i, vadd(pi, vmul(neg_lr, b)));
        } else {
            vstore(p + i, vadd(pi, vmul(neg_lr, vdiv(d, avg))));
        }
    }
}

static void RC_NAME(adagrad_)(const rc_optim_hparams *h, const rc_optim_tensor *t, int64_t begin, int64_t end) {
    float *restrict p = t->param;
    const float *restrict g = t->grad;
    float *restrict sum = t->state0;
    const int maximize = h->maximize, use_wd = h->weight_decay != 0;
    const rc_vf wd = vset((float)h->weight_decay), eps = vset((float)h->eps);
    const rc_vf neg_clr = vset((float)(-t->coef[0])), one = vset(1.0f);
    for (int64_t i = begin; i < end; i += RC_VLEN) {
        rc_vf d = vload(g + i), pi = vload(p + i);
        if (maximize) d = vneg(d);
        if (use_wd) d = vadd(d, vmul(wd, pi));
        rc_vf s = vadd(vload(sum + i), vmul(vmul(one, d), d));
        vstore(sum + i, s);
        vstore(p + i, vadd(pi, vmul(neg_clr, vdiv(d, vadd(vsqrt(s), eps)))));
    }
}

#undef RC_ADAM_FAMILY_PROLOGUE
#undef RC_ADAM_FAMILY_SCALARS
#undef RC_NAME
#undef RC_CAT
#undef RC_CAT2
