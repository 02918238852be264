#ifndef PVTOP_CDECOMPRESS_SHIM_H
#define PVTOP_CDECOMPRESS_SHIM_H
#include <zlib.h>
#include <lzma.h>

/* zlib's inflateInit2 is a macro; Swift cannot call macros. */
static inline int cdz_inflate_init_gzip(z_stream *s) {
    return inflateInit2(s, 15 + 32); /* 32: auto-detect gzip or zlib header */
}
static inline lzma_stream cdz_lzma_stream_init(void) {
    lzma_stream s = LZMA_STREAM_INIT;
    return s;
}
/* LZMA_CONCATENATED is a UINT32_C() macro Swift does not import; decode `cat a.xz b.xz` like xz(1). */
static inline lzma_ret cdz_lzma_stream_decoder(lzma_stream *s) {
    return lzma_stream_decoder(s, UINT64_MAX, LZMA_CONCATENATED);
}
#endif
