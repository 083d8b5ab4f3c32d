/* Builds the range table of one ISA file from its two instantiations of optim_kernels.inc.h:
 * <kind>_vec (RC_WIDE lanes) over the largest multiple of RC_WIDE, <kind>_one on the tail. */
#define RC_RANGE_FN(kind)                                                                         \
    static void kind##range_(const rc_optim_hparams *h, const rc_optim_tensor *t, int64_t begin,    \
                             int64_t end) {                                                         \
        int64_t mid = begin + (end - begin) / RC_WIDE * RC_WIDE;                                    \
        kind##vec(h, t, begin, mid);                                                                \
        kind##one(h, t, mid, end);                                                                  \
    }
RC_RANGE_FN(sgd_)
RC_RANGE_FN(adam_)
RC_RANGE_FN(rmsprop_)
RC_RANGE_FN(adagrad_)
RC_RANGE_FN(nadam_)
RC_RANGE_FN(radam_)
#undef RC_RANGE_FN

#define RC_TABLE_NAME2(suffix) rc_optim_ranges_##suffix
#define RC_TABLE_NAME(suffix) RC_TABLE_NAME2(suffix)
const rc_optim_range_fn RC_TABLE_NAME(RC_ISA_NAME)[RC_OPTIM_KIND_COUNT] = {
    [RC_OPTIM_SGD] = sgd_range_,
    [RC_OPTIM_ADAM] = adam_range_,
    [RC_OPTIM_RMSPROP] = rmsprop_range_,
    [RC_OPTIM_ADAGRAD] = adagrad_range_,
    [RC_OPTIM_NADAM] = nadam_range_,
    [RC_OPTIM_RADAM] = radam_range_,
};
