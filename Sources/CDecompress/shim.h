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
#endif
