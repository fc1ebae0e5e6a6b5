/*
 * kafc messages and headers. Included by <kafc/kafc.h>.
 *
 * kafc_headers_t is a list of record headers a producer attaches to a
 * message. kafc_message_t is a message as kafc hands it back: in a delivery
 * report (producer) or from poll (consumer). Both are opaque; read them
 * through the accessors.
 */
#ifndef KAFC_MESSAGE_H
#define KAFC_MESSAGE_H

#ifndef KAFC_KAFC_H
#error "include <kafc/kafc.h>, not <kafc/message.h>"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- headers ------------------------------------------------------------ */

typedef struct kafc_headers_s kafc_headers_t;

/* A new empty header list, or NULL when out of memory. Any thread. */
KAFC_EXTERN kafc_headers_t *kafc_headers_new(void);

/* Frees a list the caller still owns (one not handed to kafc_produce, or
 * one produce refused). kafc_headers_destroy(NULL) is a no-op. */
KAFC_EXTERN void kafc_headers_destroy(kafc_headers_t *hdrs);

/* Appends a header. name (NUL-terminated, non-empty) and value (value_len
 * bytes; NULL with value_len 0 for a null value) are copied. Header names
 * may repeat, as in Kafka. Returns KAFC_ERR__INVALID_ARG for a NULL/empty
 * name or a NULL value with a non-zero length, KAFC_ERR__NO_MEMORY. */
KAFC_EXTERN kafc_err_t kafc_headers_add(kafc_headers_t *hdrs, const char *name, const void *value,
                                        size_t value_len);

/* The number of headers, and header i: *namep (NUL-terminated), *valuep
 * (NULL for a null value) and *value_lenp, all borrowed from hdrs (or from
 * the message it belongs to) for its lifetime. Returns KAFC_ERR__INVALID_ARG
 * when i is out of range. */
KAFC_EXTERN size_t kafc_headers_count(const kafc_headers_t *hdrs);
KAFC_EXTERN kafc_err_t kafc_headers_get(const kafc_headers_t *hdrs, size_t i, const char **namep,
                                        const void **valuep, size_t *value_lenp);

/* ---- messages ----------------------------------------------------------- */

typedef struct kafc_message_s kafc_message_t;

/* Whether a produced message reached the broker's log. */
typedef enum kafc_persisted {
    KAFC_NOT_PERSISTED = 0,      /* certainly not written (e.g. never sent) */
    KAFC_POSSIBLY_PERSISTED = 1, /* sent, but the outcome is unknown */
    KAFC_PERSISTED = 2           /* acknowledged by the broker */
} kafc_persisted_t;

typedef enum kafc_timestamp_type {
    KAFC_TIMESTAMP_NOT_AVAILABLE = 0,
    KAFC_TIMESTAMP_CREATE_TIME = 1,
    KAFC_TIMESTAMP_LOG_APPEND_TIME = 2
} kafc_timestamp_type_t;

/* Accessors. Every pointer returned is borrowed from msg and valid as long as
 * msg is (for a delivery report: until the callback returns). */
KAFC_EXTERN const char *kafc_message_topic(const kafc_message_t *msg);
KAFC_EXTERN int32_t kafc_message_partition(const kafc_message_t *msg);
/* The offset in the partition, -1 when unknown (not persisted, acks=0). */
KAFC_EXTERN int64_t kafc_message_offset(const kafc_message_t *msg);
/* Milliseconds since the epoch; *typep (may be NULL) says which kind. */
KAFC_EXTERN int64_t kafc_message_timestamp(const kafc_message_t *msg, kafc_timestamp_type_t *typep);
/* Key and value; NULL for a null key/value (*lenp is then 0). lenp may be NULL. */
KAFC_EXTERN const void *kafc_message_key(const kafc_message_t *msg, size_t *lenp);
KAFC_EXTERN const void *kafc_message_value(const kafc_message_t *msg, size_t *lenp);
/* The headers (borrowed; never NULL, possibly empty). */
KAFC_EXTERN const kafc_headers_t *kafc_message_headers(const kafc_message_t *msg);
/* KAFC_ERR_NONE, or why the message failed. */
KAFC_EXTERN kafc_err_t kafc_message_err(const kafc_message_t *msg);
KAFC_EXTERN kafc_persisted_t kafc_message_persisted(const kafc_message_t *msg);
/* The per-message opaque given to kafc_produce(). */
KAFC_EXTERN void *kafc_message_opaque(const kafc_message_t *msg);

#ifdef __cplusplus
}
#endif

#endif /* KAFC_MESSAGE_H */
