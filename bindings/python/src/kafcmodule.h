/*
 * kafc._kafc — the CPython extension behind the `kafc` package: a thin
 * layer over libkafc's public API (include/kafc/ headers) with the classes
 * confluent-kafka-python users know (Producer, Consumer, Message,
 * TopicPartition, KafkaError, KafkaException).
 *
 * Files: module.c (module, KafkaError, KafkaException, configuration,
 * GIL helpers), types.c (Message, TopicPartition and list conversions),
 * producer.c (Producer), consumer.c (Consumer).
 *
 * Threads and the GIL: every call that may block (poll, flush, consume,
 * commit, close, ...) releases the GIL with kpy_unlock()/kpy_relock().
 * libkafc runs the application's callbacks inside those calls on the same
 * thread, so a C callback takes the GIL back with kpy_cb_enter() and gives
 * it up again with kpy_cb_leave(). A Python exception raised by a callback
 * is kept in the handle (kpy_exc_store) and raised when the blocking call
 * returns.
 */
#ifndef KAFC_PY_KAFCMODULE_H
#define KAFC_PY_KAFCMODULE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <kafc/kafc.h>

/* ---- types ------------------------------------------------------------- */

extern PyTypeObject KpyErrorType;
extern PyTypeObject KpyMessageType;
extern PyTypeObject KpyTopicPartitionType;
extern PyTypeObject KpyProducerType;
extern PyTypeObject KpyConsumerType;

/* kafc.KafkaException(KafkaError) and kafc.QueueFullError (a subclass of
 * both KafkaException and BufferError, raised by produce on a full queue). */
extern PyObject *KpyException;
extern PyObject *KpyQueueFullError;

typedef struct {
    PyObject_HEAD
    kafc_err_t code;
    PyObject *reason; /* str */
    int fatal;
    int retriable;
} KpyError;

typedef struct {
    PyObject_HEAD
    PyObject *topic;   /* str or None */
    PyObject *key;     /* bytes/other or None */
    PyObject *value;   /* bytes/other or None */
    PyObject *headers; /* list of (str, bytes|None) or None */
    PyObject *error;   /* KafkaError or None */
    int32_t partition;
    int32_t leader_epoch;
    int64_t offset;
    int64_t timestamp;
    int tstype;
} KpyMessage;

typedef struct {
    PyObject_HEAD
    PyObject *topic;    /* str */
    PyObject *metadata; /* str or None */
    PyObject *error;    /* KafkaError or None */
    int32_t partition;
    int32_t leader_epoch; /* -1: None */
    int64_t offset;
} KpyTopicPartition;

/* ---- errors -------------------------------------------------------------- */

/* A new KafkaError for code with reason (NULL: kafc_err_str(code)). */
PyObject *kpy_error_new(kafc_err_t code, const char *reason);
/* Sets KafkaException(KafkaError(code, reason)); returns NULL. */
PyObject *kpy_raise(kafc_err_t code, const char *reason);
/* None for KAFC_ERR_NONE, else a new KafkaError (new reference). */
PyObject *kpy_error_or_none(kafc_err_t code);

/* The pending Python exception as one object (taken from the error
 * indicator, which is cleared), and back. */
PyObject *kpy_exc_fetch(void);
void kpy_exc_restore(PyObject *exc);
/* Keeps the pending exception in *slot unless one is kept already (later
 * ones are reported as unraisable, as they would be lost otherwise). */
void kpy_exc_store(PyObject **slot);
/* Raises the exception kept in *slot (clearing it) and returns -1, or 0. */
int kpy_exc_raise_stored(PyObject **slot);

/* ---- configuration --------------------------------------------------------- */

/* Called for each dict key kafc_conf_set() must not see; returns 1 when it
 * took the key, 0 when the key is for libkafc, -1 on error. */
typedef int(kpy_conf_special_t)(void *self, const char *name, PyObject *value);

/* A new conf from a dict of property names to values (str, int, float,
 * bool; None resets to the default) merged with kwargs (may be NULL).
 * Unknown names and bad values raise KafkaException with libkafc's text. */
kafc_conf_t *kpy_conf_from_dict(PyObject *dict, PyObject *kwargs, kpy_conf_special_t *special,
                                void *self);

/* The kafc log callback for a handle whose opaque is a PyObject ** slot
 * pair: see module.c. */
typedef struct {
    PyObject *logger;    /* logging.Logger-like, or NULL */
    PyObject **exc_slot; /* where exceptions from logger.log go */
    const int *closing;  /* when set: drop records */
} kpy_log_ctx_t;
void kpy_log_cb(void *opaque, int level, const char *ctx, const char *msg);

/* Stores v (a callable, or None/NULL for none) in *slot, replacing what was
 * there; a TypeError naming name when v is not callable. 0 or -1. */
int kpy_set_callable(PyObject **slot, PyObject *v, const char *name);

/* The configuration keys both clients take besides the C library's:
 * "logger" (into log). Returns 1 when name was one of them (stored), 0 when
 * not, -1 with an exception set. */
int kpy_conf_common(kpy_log_ctx_t *log, const char *name, PyObject *value);

/* ---- timeouts ---------------------------------------------------------- */

/* Seconds (float/int; None or negative: infinite) to milliseconds (-1 for
 * infinite). Returns 0, or -1 with an exception set. */
int kpy_timeout_ms(PyObject *obj, int *msp);

/* Milliseconds left until the monotonic deadline (from kpy_deadline), -1
 * for none; 0 when passed. */
int64_t kpy_deadline(int timeout_ms);
int kpy_remaining(int64_t deadline);

/* Longest single wait while the GIL is released, so that signals (Ctrl-C)
 * are seen between slices. */
#define KPY_SLICE_MS 200

/* ---- the GIL around blocking calls ------------------------------------- */

/* The thread state saved by the blocking call in progress on this thread,
 * NULL when this thread holds the GIL. */
extern _Thread_local PyThreadState *kpy_tstate;

/* Releases the GIL; returns what kpy_relock() needs. */
static inline PyThreadState *kpy_unlock(void)
{
    PyThreadState *prev = kpy_tstate;
    kpy_tstate = PyEval_SaveThread();
    return prev;
}

static inline void kpy_relock(PyThreadState *prev)
{
    PyEval_RestoreThread(kpy_tstate);
    kpy_tstate = prev;
}

/* In a C callback from libkafc (always on the thread that called into
 * libkafc): takes the GIL when that call released it. Returns the token
 * for kpy_cb_leave (NULL when the GIL was held already). */
static inline PyThreadState *kpy_cb_enter(void)
{
    PyThreadState *ts = kpy_tstate;
    if (ts) {
        kpy_tstate = NULL;
        PyEval_RestoreThread(ts);
    }
    return ts;
}

static inline void kpy_cb_leave(PyThreadState *ts)
{
    if (ts)
        kpy_tstate = PyEval_SaveThread();
}

/* ---- messages and partition lists ---------------------------------------- */

/* A Message from a kafc message (borrowed); key and value are copied into
 * bytes when copy_payload, else left None. *topic_cache (a str or NULL)
 * spares a new str per message for a repeated topic. */
PyObject *kpy_message_from_c(const kafc_message_t *m, int copy_payload, PyObject **topic_cache);

/* A new kafc list from a sequence of TopicPartition; NULL with an
 * exception set. */
kafc_topic_partition_list_t *kpy_tplist_from_py(PyObject *seq);
/* A list of TopicPartition from a kafc list (borrowed). */
PyObject *kpy_tplist_to_py(const kafc_topic_partition_list_t *l);

/* ---- module init helpers ----------------------------------------------------- */

int kpy_types_init(PyObject *m);
int kpy_producer_init(PyObject *m);
int kpy_consumer_init(PyObject *m);

#endif /* KAFC_PY_KAFCMODULE_H */
