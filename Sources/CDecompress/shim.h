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
/* Encoders for `pvtop record -o FILE.gz|FILE.xz`. deflateInit2 is a macro (Swift cannot
   call it); windowBits 15 + 16 asks zlib for a gzip wrapper instead of a zlib one. */
static inline int cdz_deflate_init_gzip(z_stream *s, int level) {
    return deflateInit2(s, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
/* xz container with CRC64, as the xz tool writes; preset 0-9 (6 is xz's default). */
static inline lzma_ret cdz_lzma_easy_encoder(lzma_stream *s, unsigned int preset) {
    return lzma_easy_encoder(s, preset, LZMA_CHECK_CRC64);
}
#endif
