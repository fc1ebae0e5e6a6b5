/*
 * kafc — a Kafka producer/consumer client library in C.
 *
 * This is the public API. Everything here is prefixed kafc_ / KAFC_; nothing
 * else in libkafc is exported. Handles are opaque: new options arrive as new
 * configuration properties or functions, never as struct fields, so the ABI
 * stays stable within a major version (the SONAME is libkafc.so.MAJOR).
 *
 * Conventions used in every doc comment below:
 * - Ownership of each pointer argument is stated as "copied" (the library
 *   keeps its own copy; the caller may free theirs on return), "borrowed until
 *   ..." (the caller keeps it alive until the stated point), or "taken" (the
 *   library frees it).
 * - Thread safety is stated per function.
 * - Functions that can fail return kafc_err_t (0 = success); where a caller
 *   needs words, the text goes into a caller-provided errstr buffer, always
 *   NUL-terminated when errstr_size > 0.
 */
#ifndef KAFC_KAFC_H
#define KAFC_KAFC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks a declaration as part of the exported API. Everything else in the
 * library is built with hidden visibility. */
#if defined(KAFC_BUILDING) && defined(__GNUC__)
#define KAFC_EXTERN __attribute__((visibility("default")))
#else
#define KAFC_EXTERN
#endif

/* ---- version ------------------------------------------------------------ */

#define KAFC_VERSION_MAJOR 0
#define KAFC_VERSION_MINOR 1
#define KAFC_VERSION_PATCH 0
/* The version as one number: 0xMMmmpp (major, minor, patch). */
#define KAFC_VERSION_NUM                                                                           \
    ((KAFC_VERSION_MAJOR << 16) | (KAFC_VERSION_MINOR << 8) | KAFC_VERSION_PATCH)

/* The version of the library loaded at run time, as KAFC_VERSION_NUM encodes
 * it (compare with the macro to detect a header/library mismatch).
 * Any thread. */
KAFC_EXTERN uint32_t kafc_version(void);

/* The run-time version as "MAJOR.MINOR.PATCH". The string is static; never
 * free it. Any thread. */
KAFC_EXTERN const char *kafc_version_str(void);

/* ---- errors ------------------------------------------------------------- */

/* One error type for the whole API. 0 (KAFC_ERR_NONE) is success. Kafka
 * protocol error codes keep their own numbers (positive, and -1 for
 * UNKNOWN_SERVER_ERROR); kafc's local errors are -100 and below and are named
 * KAFC_ERR__<NAME> (two underscores). Codes are never renumbered. The full
 * list is in <kafc/error_codes.h>. */
typedef int32_t kafc_err_t;

#include "error_codes.h"

/* A one-line human-readable description of err, e.g. "Broker: Offset out of
 * range" or "Local: Invalid configuration value". Unknown codes give
 * "Unknown error". The string is static; never free it. Any thread. */
KAFC_EXTERN const char *kafc_err_str(kafc_err_t err);

/* The symbolic name of err without the KAFC_ERR_ prefix, e.g.
 * "OFFSET_OUT_OF_RANGE" or "_INVALID_CONFIG_VALUE"; "UNKNOWN" for an unknown
 * code. The string is static; never free it. Any thread. */
KAFC_EXTERN const char *kafc_err_name(kafc_err_t err);

/* ---- logging ------------------------------------------------------------ */

/* Log levels, syslog numbering: lower is more severe. */
typedef enum kafc_log_level {
    KAFC_LOG_EMERG = 0,
    KAFC_LOG_ALERT = 1,
    KAFC_LOG_CRIT = 2,
    KAFC_LOG_ERR = 3,
    KAFC_LOG_WARNING = 4,
    KAFC_LOG_NOTICE = 5,
    KAFC_LOG_INFO = 6,
    KAFC_LOG_DEBUG = 7
} kafc_log_level_t;

/* A log callback. level is a kafc_log_level_t; ctx names the debug context
 * ("broker", "metadata", ...) or the facility for non-debug records; msg is
 * one line without a trailing newline. All three strings are borrowed for the
 * duration of the call only. opaque is the value given to
 * kafc_conf_set_log_cb(). The callback runs on an application thread (inside
 * a poll call, or the thread that called the API that logged), never on
 * kafc's background I/O thread. */
typedef void(kafc_log_cb_t)(void *opaque, int level, const char *ctx, const char *msg);

/* ---- configuration ------------------------------------------------------ */

/* A set of configuration properties for a client. Create with
 * kafc_conf_new(), fill with kafc_conf_set(), hand to a client constructor
 * (which copies it), and destroy it yourself with kafc_conf_destroy(). A conf
 * is not thread-safe: use one conf from one thread at a time. */
typedef struct kafc_conf_s kafc_conf_t;

/* A new conf holding every property at its default. Returns NULL only when
 * memory is exhausted. Any thread. */
KAFC_EXTERN kafc_conf_t *kafc_conf_new(void);

/* Frees conf and everything it holds. kafc_conf_destroy(NULL) is a no-op. */
KAFC_EXTERN void kafc_conf_destroy(kafc_conf_t *conf);

/* A deep copy of conf (properties and callbacks), or NULL when memory is
 * exhausted. conf is borrowed for the duration of the call. */
KAFC_EXTERN kafc_conf_t *kafc_conf_dup(const kafc_conf_t *conf);

/* Sets property name to value. Both strings are copied. Property names are
 * the ones Kafka users know (bootstrap.servers, acks, linger.ms, ...; see
 * CONFIGURATION.md). Boolean properties take true/false (also 1/0, yes/no,
 * on/off); numeric properties take decimal integers within the property's
 * range; enumerated properties take one of their listed values. A NULL value
 * resets the property to its default.
 *
 * Returns:
 *   KAFC_ERR_NONE                  set.
 *   KAFC_ERR__UNKNOWN_CONFIG       no property of that name; errstr names it.
 *   KAFC_ERR__INVALID_CONFIG_VALUE value not allowed; errstr names the
 *                                  property and says what is allowed.
 *   KAFC_ERR__INVALID_ARG          conf or name is NULL.
 *   KAFC_ERR__NO_MEMORY            allocation failed; conf is unchanged.
 * errstr (caller's buffer of errstr_size bytes; may be NULL when
 * errstr_size is 0) receives the reason on failure. */
KAFC_EXTERN kafc_err_t kafc_conf_set(kafc_conf_t *conf, const char *name, const char *value,
                                     char *errstr, size_t errstr_size);

/* Copies the current value of property name, as text, into dest (a buffer of
 * *dest_size bytes), NUL-terminated, and sets *dest_size to the size needed
 * including the NUL. With dest NULL only *dest_size is set, so a caller can
 * size a buffer first.
 *
 * Returns:
 *   KAFC_ERR_NONE              value copied (or size reported).
 *   KAFC_ERR__UNKNOWN_CONFIG   no property of that name.
 *   KAFC_ERR__BUF_OVERFLOW     dest too small; *dest_size says how big.
 *   KAFC_ERR__INVALID_ARG      conf, name or dest_size is NULL. */
KAFC_EXTERN kafc_err_t kafc_conf_get(const kafc_conf_t *conf, const char *name, char *dest,
                                     size_t *dest_size);

/* Every property and its current value as text: a newly allocated array of
 * 2 * *countp strings, name then value, in the order of CONFIGURATION.md.
 * Free it with kafc_conf_dump_free(). Returns NULL (and *countp = 0) when
 * memory is exhausted. */
KAFC_EXTERN const char **kafc_conf_dump(const kafc_conf_t *conf, size_t *countp);

/* Frees an array returned by kafc_conf_dump(); count is the *countp it set. */
KAFC_EXTERN void kafc_conf_dump_free(const char **arr, size_t count);

/* Sets the log callback and its opaque pointer (borrowed until every client
 * made from this conf is destroyed). With cb NULL (the default) log records
 * are written to stderr. */
KAFC_EXTERN void kafc_conf_set_log_cb(kafc_conf_t *conf, kafc_log_cb_t *cb, void *opaque);

#ifdef __cplusplus
}
#endif

#include "client.h"
#include "message.h"
#include "producer.h"
#include "consumer.h"

#endif /* KAFC_KAFC_H */
