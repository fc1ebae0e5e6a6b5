/*
 * codec_tool — compresses or decompresses stdin to stdout with kafc's codecs,
 * for tests/interop/test_codec_interop.py (kafka-python decodes what kafc
 * encodes, and the reverse).
 *
 *   codec_tool compress   CODEC [LEVEL]     (LEVEL default -1)
 *   codec_tool decompress CODEC [MAX_OUT]   (MAX_OUT default 256 MiB)
 *
 * CODEC is none, gzip, snappy, lz4 or zstd. Exit status 0 on success; 2 for a
 * codec error, with kafc's error name on stderr; 3 for a usage error; 4 when
 * the codec is not in this build.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/codec.h"

static uint8_t *read_all(FILE *f, size_t *lenp)
{
    size_t cap = 1 << 16, len = 0;
    uint8_t *p = malloc(cap);

    while (p != NULL) {
        size_t n = fread(p + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
        if (len == cap) {
            uint8_t *q = realloc(p, cap * 2);
            if (q == NULL) {
                free(p);
                return NULL;
            }
            p = q;
            cap *= 2;
        }
    }
    *lenp = len;
    return p;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: codec_tool compress|decompress none|gzip|snappy|lz4|zstd [LEVEL|MAX_OUT]\n");
    return 3;
}

int main(int argc, char **argv)
{
    kafc__codec_t c;
    size_t in_len, out_len = 0;
    uint8_t *in, *out = NULL;
    kafc_err_t err;
    int compress;

    if (argc < 3 || argc > 4 || kafc__codec_from_name(argv[2], &c) != KAFC_ERR_NONE)
        return usage();
    if (strcmp(argv[1], "compress") == 0)
        compress = 1;
    else if (strcmp(argv[1], "decompress") == 0)
        compress = 0;
    else
        return usage();
    if (!kafc__codec_available(c)) {
        fprintf(stderr, "codec_tool: %s is not in this build\n", argv[2]);
        return 4;
    }
    in = read_all(stdin, &in_len);
    if (in == NULL) {
        fprintf(stderr, "codec_tool: out of memory\n");
        return 2;
    }
    if (compress) {
        int level = argc == 4 ? atoi(argv[3]) : -1;
        size_t cap = kafc__codec_compress_bound(c, in_len);
        out = malloc(cap > 0 ? cap : 1);
        err = out == NULL ? KAFC_ERR__NO_MEMORY
                          : kafc__codec_compress(c, level, in, in_len, out, cap, &out_len);
    } else {
        size_t max_out = argc == 4 ? (size_t)strtoull(argv[3], NULL, 10) : (size_t)256 << 20;
        err = kafc__codec_decompress(c, in, in_len, max_out, &out, &out_len);
    }
    free(in);
    if (err != KAFC_ERR_NONE) {
        fprintf(stderr, "codec_tool: %s\n", kafc_err_name(err));
        free(out);
        return 2;
    }
    if (out_len > 0 && fwrite(out, 1, out_len, stdout) != out_len) {
        free(out);
        return 2;
    }
    free(out);
    return fflush(stdout) == 0 ? 0 : 2;
}
