/* rc_optim_step: cuts the tensor list into chunks and runs the ISA's range loop over them. */
#include "optim/optim.h"

#include <stdlib.h>

#include "core/cpu_features.h"

/* 16K floats: 64 KB per stream, large enough to amortise scheduling, small enough that a
 * ResNet's 161 tensors give many chunks per thread. */
#define RC_OPTIM_CHUNK 16384
/* Below this many elements in all the update takes a few tens of microseconds: one thread does
 * it, since waking the others costs as much (and, on a busy machine, milliseconds). */
#define RC_OPTIM_PARALLEL_MIN (4 * RC_OPTIM_CHUNK)

rc_status rc_optim_step(rc_optim_kind kind, const rc_optim_hparams *h, const rc_optim_tensor *tensors,
                        int64_t ntensors) {
    if ((int)kind < 0 || kind >= RC_OPTIM_KIND_COUNT || ntensors < 0) return RC_ERR_ARGUMENT;
    if (ntensors == 0) return RC_OK;
    const rc_isa isa = rc_isa_active();
    const rc_optim_range_fn fn = isa >= RC_ISA_AVX512 ? rc_optim_ranges_avx512[kind]
                               : isa >= RC_ISA_AVX2   ? rc_optim_ranges_avx2[kind]
                                                      : rc_optim_ranges_generic[kind];

    /* first[t] = index of tensor t's first chunk; chunk c belongs to the last t with first[t] <= c. */
    int64_t *first = malloc((size_t)(ntensors + 1) * sizeof *first);
    if (!first) return RC_ERR_NOMEM;
    first[0] = 0;
    int64_t total = 0;
    for (int64_t t = 0; t < ntensors; t++) {
        first[t + 1] = first[t] + (tensors[t].n + RC_OPTIM_CHUNK - 1) / RC_OPTIM_CHUNK;
        total += tensors[t].n;
    }
    const int64_t nchunks = first[ntensors];

#pragma omp parallel for schedule(dynamic, 1) if (total >= RC_OPTIM_PARALLEL_MIN)
    for (int64_t c = 0; c < nchunks; c++) {
        int64_t lo = 0, hi = ntensors - 1;
        while (lo < hi) { /* binary search: the tensor whose chunk range holds c */
            int64_t mid = (lo + hi + 1) / 2;
            if (first[mid] <= c) lo = mid;
            else hi = mid - 1;
        }
        const rc_optim_tensor *t = &tensors[lo];
        int64_t begin = (c - first[lo]) * RC_OPTIM_CHUNK;
        int64_t end = begin + RC_OPTIM_CHUNK < t->n ? begin + RC_OPTIM_CHUNK : t->n;
        fn(h, t, begin, end);
    }
    free(first);
    return RC_OK;
}
