/*
 * log — see log.h.
 */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const struct {
    const char *name;
    uint32_t bit;
} contexts[] = {
    {"generic", KAFC__DBG_GENERIC},   {"broker", KAFC__DBG_BROKER},
    {"topic", KAFC__DBG_TOPIC},       {"metadata", KAFC__DBG_METADATA},
    {"protocol", KAFC__DBG_PROTOCOL}, {"queue", KAFC__DBG_QUEUE},
    {"msg", KAFC__DBG_MSG},           {"producer", KAFC__DBG_PRODUCER},
    {"consumer", KAFC__DBG_CONSUMER}, {"cgrp", KAFC__DBG_CGRP},
    {"fetch", KAFC__DBG_FETCH},       {"security", KAFC__DBG_SECURITY},
    {"conf", KAFC__DBG_CONF},         {"eos", KAFC__DBG_EOS},
    {"all", KAFC__DBG_ALL},
};

#define NCONTEXTS (sizeof(contexts) / sizeof(contexts[0]))

static _Thread_local int on_io_thread;

void kafc__log_mark_io_thread(void)
{
    on_io_thread = 1;
}

void kafc__logger_init(kafc__logger_t *lg, const char *name, int level, uint32_t debug,
                       kafc_log_cb_t *cb, void *opaque)
{
    memset(lg, 0, sizeof(*lg));
    lg->level = level;
    lg->debug = debug;
    /* Asking for debug contexts implies wanting to see them. */
    if (debug && lg->level < KAFC_LOG_DEBUG)
        lg->level = KAFC_LOG_DEBUG;
    lg->cb = cb;
    lg->opaque = opaque;
    snprintf(lg->name, sizeof(lg->name), "%s", name ? name : "kafc");
}

void kafc__log(const kafc__logger_t *lg, int level, const char *ctx, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    if (level > lg->level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    if (lg->cb) {
        if (!on_io_thread)
            lg->cb(lg->opaque, level, ctx, msg);
        else if (lg->enqueue)
            lg->enqueue(lg->enqueue_arg, level, ctx, msg);
        /* else: an I/O thread with nowhere to queue falls through to stderr */
        if (!on_io_thread || lg->enqueue)
            return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    /* One fprintf per record so concurrent records do not interleave. */
    fprintf(stderr, "%%%d|%lld.%03ld|%s|%s| %s\n", level, (long long)ts.tv_sec,
            ts.tv_nsec / 1000000, ctx, lg->name, msg);
}

const char *kafc__log_ctx_name(uint32_t ctx_bit)
{
    for (size_t i = 0; i < NCONTEXTS; i++)
        if (contexts[i].bit == ctx_bit)
            return contexts[i].name;
    return "generic";
}

const char *kafc__log_debug_contexts(void)
{
    return "all, generic, broker, topic, metadata, protocol, queue, msg, producer, consumer, "
           "cgrp, fetch, security, conf, eos";
}

kafc_err_t kafc__log_parse_debug(const char *list, uint32_t *maskp, char *errstr,
                                 size_t errstr_size)
{
    uint32_t mask = 0;
    const char *p = list ? list : "";

    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        size_t len = (size_t)(p - start);
        while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\t'))
            len--;
        size_t i;
        for (i = 0; i < NCONTEXTS; i++)
            if (strlen(contexts[i].name) == len && strncasecmp(contexts[i].name, start, len) == 0)
                break;
        if (i == NCONTEXTS) {
            if (errstr && errstr_size > 0)
                snprintf(errstr, errstr_size,
                         "Invalid value \"%s\" for \"debug\": unknown debug context \"%.*s\" "
                         "(expected a comma-separated list of: %s)",
                         list, (int)len, start, kafc__log_debug_contexts());
            return KAFC_ERR__INVALID_CONFIG_VALUE;
        }
        mask |= contexts[i].bit;
    }
    *maskp = mask;
    return KAFC_ERR_NONE;
}
