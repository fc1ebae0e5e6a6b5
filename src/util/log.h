/*
 * log — leveled logging with debug contexts and a user log callback.
 *
 * A logger belongs to one client handle and is set up once from its conf; it
 * is then read-only, so any thread may log through it without a lock. A
 * record goes to the user's kafc_log_cb_t when one is set, else to stderr.
 * (Issue #4 queues records logged on the I/O thread so the callback runs
 * inside poll on the application thread; until then the sink is called
 * directly, which is only ever on application threads.)
 *
 * Debug records are emitted only for the contexts enabled by the `debug`
 * property ("broker,metadata", "all", ...) and only when log_level >= 7.
 */
#ifndef KAFC_UTIL_LOG_H
#define KAFC_UTIL_LOG_H

#include <stdint.h>
#include <stddef.h>

#include "kafc/kafc.h"

/* Debug contexts: one bit each. Names in kafc__log_parse_debug(). */
enum {
    KAFC__DBG_GENERIC = 1u << 0,
    KAFC__DBG_BROKER = 1u << 1,
    KAFC__DBG_TOPIC = 1u << 2,
    KAFC__DBG_METADATA = 1u << 3,
    KAFC__DBG_PROTOCOL = 1u << 4,
    KAFC__DBG_QUEUE = 1u << 5,
    KAFC__DBG_MSG = 1u << 6,
    KAFC__DBG_PRODUCER = 1u << 7,
    KAFC__DBG_CONSUMER = 1u << 8,
    KAFC__DBG_CGRP = 1u << 9,
    KAFC__DBG_FETCH = 1u << 10,
    KAFC__DBG_SECURITY = 1u << 11,
    KAFC__DBG_CONF = 1u << 12,
    KAFC__DBG_EOS = 1u << 13,
    KAFC__DBG_ALL = 0xffffffffu
};

typedef struct kafc__logger {
    int level;         /* records with a level above this are dropped */
    uint32_t debug;    /* enabled KAFC__DBG_* contexts */
    kafc_log_cb_t *cb; /* NULL: write to stderr */
    void *opaque;      /* passed to cb */
    char name[64];     /* client instance name, prefixed to stderr lines */
    /* Where records logged on an I/O thread go when cb is set. */
    void (*enqueue)(void *arg, int level, const char *ctx, const char *msg);
    void *enqueue_arg;
} kafc__logger_t;

/* Marks the calling thread as an I/O thread (thread-local): its records
 * never reach a user callback directly. Called once by each I/O thread. */
void kafc__log_mark_io_thread(void);

/* Sets up lg. name is copied (truncated to fit). Any thread. */
void kafc__logger_init(kafc__logger_t *lg, const char *name, int level, uint32_t debug,
                       kafc_log_cb_t *cb, void *opaque);

/* Logs one record at level with context/facility ctx. Any thread; no lock. */
void kafc__log(const kafc__logger_t *lg, int level, const char *ctx, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* True when debug records of context bit ctx_bit would be emitted. */
static inline int kafc__dbg_on(const kafc__logger_t *lg, uint32_t ctx_bit)
{
    return lg->level >= KAFC_LOG_DEBUG && (lg->debug & ctx_bit) != 0;
}

/* Parses a comma-separated list of debug context names ("broker,metadata",
 * "all", "" for none; spaces around names allowed) into a bit mask.
 * Returns KAFC_ERR_NONE, or KAFC_ERR__INVALID_CONFIG_VALUE with errstr naming
 * the unknown context and listing the valid ones. Any thread. */
kafc_err_t kafc__log_parse_debug(const char *list, uint32_t *maskp, char *errstr,
                                 size_t errstr_size);

/* The name of a single context bit ("broker"), or "generic" for unknown. */
const char *kafc__log_ctx_name(uint32_t ctx_bit);

/* All valid context names, comma-separated, for docs and error messages. */
const char *kafc__log_debug_contexts(void);

#endif /* KAFC_UTIL_LOG_H */
