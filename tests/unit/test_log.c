/* Unit tests for util/log: levels, debug contexts, the user callback. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"

struct captured {
    int n;
    int level;
    char ctx[32];
    char msg[256];
    void *opaque_seen;
};

static void capture_cb(void *opaque, int level, const char *ctx, const char *msg)
{
    struct captured *c = opaque;
    c->n++;
    c->level = level;
    c->opaque_seen = opaque;
    snprintf(c->ctx, sizeof(c->ctx), "%s", ctx);
    snprintf(c->msg, sizeof(c->msg), "%s", msg);
}

Test(log, callback_receives_formatted_record)
{
    struct captured c = {0};
    kafc__logger_t lg;
    kafc__logger_init(&lg, "p1", KAFC_LOG_INFO, 0, capture_cb, &c);
    kafc__log(&lg, KAFC_LOG_WARNING, "broker", "broker %d down after %s", 3, "timeout");
    cr_assert_eq(c.n, 1);
    cr_assert_eq(c.level, KAFC_LOG_WARNING);
    cr_assert_str_eq(c.ctx, "broker");
    cr_assert_str_eq(c.msg, "broker 3 down after timeout");
    cr_assert_eq(c.opaque_seen, &c);
}

Test(log, records_above_level_are_dropped)
{
    struct captured c = {0};
    kafc__logger_t lg;
    kafc__logger_init(&lg, "p1", KAFC_LOG_NOTICE, 0, capture_cb, &c);
    kafc__log(&lg, KAFC_LOG_INFO, "generic", "dropped");
    kafc__log(&lg, KAFC_LOG_DEBUG, "generic", "dropped");
    cr_assert_eq(c.n, 0);
    kafc__log(&lg, KAFC_LOG_NOTICE, "generic", "kept");
    cr_assert_eq(c.n, 1);
    cr_assert_str_eq(c.msg, "kept");
}

Test(log, long_messages_are_truncated_not_overflowed)
{
    struct captured c = {0};
    kafc__logger_t lg;
    char big[4000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    kafc__logger_init(&lg, "p1", KAFC_LOG_DEBUG, 0, capture_cb, &c);
    kafc__log(&lg, KAFC_LOG_ERR, "generic", "%s", big);
    cr_assert_eq(c.n, 1);
    cr_assert_eq(strlen(c.msg), sizeof(c.msg) - 1); /* our capture buffer bounds it */
}

Test(log, debug_contexts_gate_debug_records)
{
    kafc__logger_t lg;
    uint32_t mask = 0;
    cr_assert_eq(kafc__log_parse_debug("broker, metadata", &mask, NULL, 0), KAFC_ERR_NONE);
    cr_assert_eq(mask, KAFC__DBG_BROKER | KAFC__DBG_METADATA);
    kafc__logger_init(&lg, "c1", KAFC_LOG_INFO, mask, NULL, NULL);
    /* Enabling debug contexts raises the level so their records show. */
    cr_assert_eq(lg.level, KAFC_LOG_DEBUG);
    cr_assert(kafc__dbg_on(&lg, KAFC__DBG_BROKER));
    cr_assert(kafc__dbg_on(&lg, KAFC__DBG_METADATA));
    cr_assert_not(kafc__dbg_on(&lg, KAFC__DBG_FETCH));
}

Test(log, parse_debug_all_empty_and_case)
{
    uint32_t mask = 1234;
    cr_assert_eq(kafc__log_parse_debug("all", &mask, NULL, 0), KAFC_ERR_NONE);
    cr_assert_eq(mask, KAFC__DBG_ALL);
    cr_assert_eq(kafc__log_parse_debug("", &mask, NULL, 0), KAFC_ERR_NONE);
    cr_assert_eq(mask, 0);
    cr_assert_eq(kafc__log_parse_debug(NULL, &mask, NULL, 0), KAFC_ERR_NONE);
    cr_assert_eq(mask, 0);
    cr_assert_eq(kafc__log_parse_debug("Broker,,FETCH,", &mask, NULL, 0), KAFC_ERR_NONE);
    cr_assert_eq(mask, KAFC__DBG_BROKER | KAFC__DBG_FETCH);
}

Test(log, parse_debug_rejects_unknown_context_naming_it)
{
    uint32_t mask = 77;
    char errstr[512];
    cr_assert_eq(kafc__log_parse_debug("broker,brokr", &mask, errstr, sizeof(errstr)),
                 KAFC_ERR__INVALID_CONFIG_VALUE);
    cr_assert_eq(mask, 77, "mask must be untouched on error");
    cr_assert(strstr(errstr, "\"brokr\"") != NULL, "errstr: %s", errstr);
    cr_assert(strstr(errstr, "\"debug\"") != NULL, "errstr: %s", errstr);
    cr_assert(strstr(errstr, "metadata") != NULL, "valid names listed: %s", errstr);
    /* A tiny errstr buffer is still NUL-terminated. */
    char tiny[5];
    memset(tiny, 'z', sizeof(tiny));
    kafc__log_parse_debug("nope", &mask, tiny, sizeof(tiny));
    cr_assert_eq(tiny[4], '\0');
}

Test(log, context_names)
{
    cr_assert_str_eq(kafc__log_ctx_name(KAFC__DBG_CGRP), "cgrp");
    cr_assert_str_eq(kafc__log_ctx_name(1u << 30), "generic");
}
