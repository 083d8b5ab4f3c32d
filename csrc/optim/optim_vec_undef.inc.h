/* Forgets the vector vocabulary so the next one can be defined. */
#undef RC_VLEN
#undef vload
#undef vstore
#undef vset
#undef vadd
#undef vsub
#undef vmul
#undef vdiv
#undef vsqrt
#undef vneg
#undef vnanmax
#undef RC_SUFFIX
#undef rc_vf
