/*
 * fakebroker — a scriptable in-process fake Kafka cluster for unit tests.
 *
 * kafc_fb_start(n) opens n listeners on 127.0.0.1 (ephemeral ports), the
 * brokers 1..n, all served by ONE background thread (a poll(2) loop over the
 * listeners and every connection; length-prefixed frames, partial reads and
 * writes handled). Requests are decoded and responses encoded with kafc's
 * own generated codecs (src/proto), record batches read with kafc's record
 * reader (src/record/reader.h).
 *
 * By default it behaves like a tiny, strict, single-replica broker:
 *   ApiVersions    v0-3 (v3 answered correctly; the response header is v0;
 *                  an unknown version gets UNSUPPORTED_VERSION in a v0 body,
 *                  as Kafka does).
 *   Metadata       v1-12: brokers 1..n, controller 1, the topics made with
 *                  kafc_fb_topic_create(); an unknown topic (by name, or by
 *                  id from v10) answers UNKNOWN_TOPIC_OR_PARTITION
 *                  (UNKNOWN_TOPIC_ID); never auto-creates.
 *   InitProducerId v0-4: producer ids from 1000 on, epoch 0. Called with a
 *                  known producer id and its current epoch (v3+, KIP-360) it
 *                  bumps the epoch (same id); a known id with another epoch
 *                  is PRODUCER_FENCED (v4) / INVALID_PRODUCER_EPOCH. A
 *                  transactional id keeps its producer id and gets the next
 *                  epoch on every call. (Kafka hands a null transactional id
 *                  a fresh id every time; the fake bumps, to test KIP-360.)
 *   Produce        v3-10: one batch (magic 2) per partition, CRC checked and
 *                  every record decoded (CORRUPT_MESSAGE / INVALID_RECORD
 *                  otherwise), stored with offsets assigned (base offset and
 *                  partition leader epoch rewritten as a broker does). For
 *                  EVERY producer id (not only transactional ones) it checks
 *                  sequences per (producer id, partition) as Kafka does:
 *                    - no state yet and base sequence != 0: UNKNOWN_PRODUCER_ID
 *                      (Kafka before 2.5; later ones accept any sequence
 *                      then, which would hide a reordering);
 *                    - epoch below the partition's: INVALID_PRODUCER_EPOCH;
 *                    - a newer epoch must start at sequence 0, else
 *                      OUT_OF_ORDER_SEQUENCE_NUMBER;
 *                    - same epoch, the batch's first and last sequence equal
 *                      one of the last 5 accepted batches: a duplicate, not
 *                      stored, answered DUPLICATE_SEQUENCE_NUMBER with the
 *                      original base offset (kafc_fb_set_duplicate_error()
 *                      makes it NONE, as Kafka 1.0+ answers);
 *                    - otherwise the base sequence must be last + 1
 *                      (wrapping at INT32_MAX): a gap or a smaller one is
 *                      OUT_OF_ORDER_SEQUENCE_NUMBER.
 *                  acks=0 requests get no response. NOT_LEADER_OR_FOLLOWER
 *                  carries the current leader (v10, KIP-951: current_leader
 *                  and node_endpoints; Fetch v12: current_leader).
 *   Fetch          v4-12: the stored batches from the one holding the fetch
 *                  offset, whole batches up to partition_max_bytes / max_bytes
 *                  (at least one batch, as KIP-74), high watermark = log end,
 *                  last stable offset and aborted transactions as scripted
 *                  (read_committed only: data is cut at the LSO and the
 *                  scripted aborted transactions that overlap it are listed).
 *                  An empty answer waits up to max_wait_ms for new data (the
 *                  connection holds it, as Kafka's purgatory does). Fetch
 *                  sessions are not kept (session id 0: full fetches).
 *                  OFFSET_OUT_OF_RANGE past the log end.
 *   ListOffsets    v1-7: -2 earliest (0), -1 latest (high watermark, or the
 *                  LSO for read_committed), -3 the record with the largest
 *                  timestamp, a timestamp: the first record at or after it.
 *   FindCoordinator v0-4: broker 1, or as kafc_fb_set_coordinator() says.
 * Anything else, or a version outside the advertised range, closes the
 * connection (as Kafka does), unless a pushed callback action answers it.
 * Partition leadership: a broker that does not lead a partition answers
 * NOT_LEADER_OR_FOLLOWER for it (Produce, Fetch, ListOffsets).
 *
 * Every connection answers its requests in order and handles one request at
 * a time (like Kafka, which mutes a connection while a request is in
 * progress): a delayed response holds back the requests behind it.
 *
 * Threads: every kafc_fb_* function may be called from any thread while the
 * broker thread serves (one mutex guards the state); kafc_fb_stop() from one
 * thread, once, and not from a callback. Callbacks of pushed actions run on
 * the broker thread without the fake's lock held: they may call kafc_fb_*
 * functions (not kafc_fb_stop). Every wait is bounded.
 *
 * KAFC_FB_TRACE=1 in the environment prints one stderr line per request
 * (and per Produce partition: producer fields, answer, offset).
 */
#ifndef KAFC_TESTS_FAKEBROKER_H
#define KAFC_TESTS_FAKEBROKER_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kafc_fb kafc_fb_t;

/* The most brokers one fake runs. */
#define KAFC_FB_MAX_BROKERS 16

/* ---- life cycle --------------------------------------------------------- */

/* Starts nbrokers (1..KAFC_FB_MAX_BROKERS) brokers, ids 1..nbrokers, on
 * 127.0.0.1 with ephemeral ports, and the thread that serves them. Returns
 * NULL (with a message on stderr) when sockets or the thread cannot be
 * made. */
kafc_fb_t *kafc_fb_start(int nbrokers);

/* "127.0.0.1:port1,127.0.0.1:port2,...": owned by fb, valid until stop. */
const char *kafc_fb_bootstrap(const kafc_fb_t *fb);

/* The port of broker_id (1..n), or -1. */
int kafc_fb_port(const kafc_fb_t *fb, int32_t broker_id);

/* Stops the thread (within about a second, unless a callback blocks),
 * closes every socket and frees everything. NULL is a no-op. */
void kafc_fb_stop(kafc_fb_t *fb);

/* ---- cluster state ------------------------------------------------------ */

/* Creates topic name (copied) with partitions partitions (1..10000), empty.
 * leader_broker_id 1..n puts every leader there; 0 spreads them (partition
 * p on broker p % n + 1). Returns 0, or -1 for bad arguments or a topic that
 * exists. */
int kafc_fb_topic_create(kafc_fb_t *fb, const char *name, int32_t partitions,
                         int32_t leader_broker_id);

/* Moves the leader of topic/partition to broker_id (1..n; -1: no leader,
 * Metadata answers LEADER_NOT_AVAILABLE) and bumps the leader epoch.
 * Other brokers answer NOT_LEADER_OR_FOLLOWER for it. Returns 0 or -1. */
int kafc_fb_set_leader(kafc_fb_t *fb, const char *topic, int32_t partition, int32_t broker_id);

/* Takes broker_id down (down != 0: its connections are closed and new ones
 * closed at once after accept) or brings it back up. Metadata still lists
 * it and leaders do not move (kafc_fb_set_leader does that). Returns 0/-1. */
int kafc_fb_broker_set_down(kafc_fb_t *fb, int32_t broker_id, int down);

/* The coordinator FindCoordinator names for key (copied; NULL: every key
 * without its own entry). Default broker 1. Returns 0 or -1. */
int kafc_fb_set_coordinator(kafc_fb_t *fb, const char *key, int32_t broker_id);

/* The version range advertised (and served) for api_key; max < 0 removes
 * the api from ApiVersions (requests of it then close the connection).
 * Versions outside what the fake implements are not made to work by this.
 * Returns 0 or -1. */
int kafc_fb_set_api_versions(kafc_fb_t *fb, int16_t api_key, int16_t min_version,
                             int16_t max_version);

/* The error a duplicate Produce batch is answered with:
 * KAFC_ERR_DUPLICATE_SEQUENCE_NUMBER (default) or 0 (what Kafka 1.0+ does),
 * with the original base offset either way. */
void kafc_fb_set_duplicate_error(kafc_fb_t *fb, int16_t err);

/* read_committed view of a partition: the last stable offset Fetch and
 * ListOffsets report (-1: the high watermark, the default) and aborted
 * transactions Fetch lists (producer id, first offset). Return 0 or -1. */
int kafc_fb_set_lso(kafc_fb_t *fb, const char *topic, int32_t partition, int64_t lso);
int kafc_fb_add_aborted_txn(kafc_fb_t *fb, const char *topic, int32_t partition,
                            int64_t producer_id, int64_t first_offset);

/* Appends raw record batches (len bytes of magic 2 batches, e.g. control
 * batches built with record/batch.h) to a partition's log as they are,
 * offsets assigned, no checks beyond framing and CRC. Returns the base
 * offset of the first, or -1. */
int64_t kafc_fb_partition_append(kafc_fb_t *fb, const char *topic, int32_t partition,
                                 const void *batches, size_t len);

/* ---- scripted actions --------------------------------------------------- */

typedef enum kafc_fb_action_type {
    /* Answer err for every partition of the request (or those matching
     * topic/partition below), or as the API's top-level error where it has
     * no partitions (ApiVersions, InitProducerId, FindCoordinator; Metadata:
     * every topic). Nothing is stored for errored partitions. */
    KAFC_FB_ERROR = 1,
    /* Close the connection without handling the request (nothing stored). */
    KAFC_FB_DROP,
    /* Handle the request (Produce: store the batches), then close the
     * connection instead of answering: the response is lost. */
    KAFC_FB_CLOSE_AFTER,
    /* Handle normally; answer after delay_ms. With delay_ms 0 it changes
     * nothing: push it n times to let n requests pass before the next action
     * applies. */
    KAFC_FB_DELAY,
    /* Handle normally; never answer (the connection stays open and, as it
     * handles one request at a time, answers nothing more). */
    KAFC_FB_NO_RESPONSE,
    /* fn builds the response body (see kafc_fb_respond_cb_t). */
    KAFC_FB_CALLBACK
} kafc_fb_action_type_t;

/* fn's return values. */
#define KAFC_FB_CB_SEND 0        /* send resp as the response body */
#define KAFC_FB_CB_DEFAULT 1     /* ignore resp; handle the request as usual */
#define KAFC_FB_CB_NO_RESPONSE 2 /* send nothing; keep the connection */
#define KAFC_FB_CB_CLOSE (-1)    /* close the connection, answer nothing */

/* A crafted response: req/req_len is the request body after its header
 * (decode it with the proto codec at version); append the response body
 * (no size, no header: the fake adds the response header for api_key and
 * version) to resp. Runs on the broker thread, lock not held. */
typedef int(kafc_fb_respond_cb_t)(void *arg, int16_t api_key, int16_t version, const void *req,
                                  size_t req_len, kafc__wbuf_t *resp);

typedef struct kafc_fb_action {
    kafc_fb_action_type_t type;
    int16_t err;  /* KAFC_FB_ERROR */
    int delay_ms; /* ERROR, CLOSE_AFTER, DELAY, CALLBACK: answer (close) this much later */
    /* Optional filter (ERROR also applies the error only there): with topic
     * set, the action only matches a request naming topic and, when
     * partition >= 0, that partition (Produce, Fetch, ListOffsets, Metadata;
     * for Metadata, partition only picks where the error goes: without it
     * the topic gets the error). partition is ignored when topic is NULL. */
    const char *topic; /* copied by kafc_fb_push */
    int32_t partition;
    kafc_fb_respond_cb_t *fn; /* KAFC_FB_CALLBACK */
    void *arg;
} kafc_fb_action_t;

/* Queues action (copied) for the next request of api_key (-1: any api) on
 * broker broker_id (0: any broker) that matches its filter; it applies once
 * (push it again for more). Actions match in the order pushed. Returns 0 or
 * -1 (bad arguments, CALLBACK without fn). */
int kafc_fb_push(kafc_fb_t *fb, int32_t broker_id, int16_t api_key, const kafc_fb_action_t *action);

/* Actions pushed and not yet used. */
int kafc_fb_pending_actions(kafc_fb_t *fb);

/* ---- observations ------------------------------------------------------- */

/* Requests of api_key handled by broker_id (0: all brokers). A request
 * counts once it was handled (a Produce's batches stored), before its
 * response is written; dropped ones count too. */
int64_t kafc_fb_request_count(kafc_fb_t *fb, int32_t broker_id, int16_t api_key);

/* Waits until at least n requests of api_key were handled (all brokers) or
 * timeout_ms passes (give one: < 0 waits without limit). Returns 0, or -1
 * on timeout. */
int kafc_fb_wait_requests(kafc_fb_t *fb, int16_t api_key, int64_t n, int timeout_ms);

/* One stored record. key/value point into the snapshot (len -1: null). */
typedef struct kafc_fb_record {
    int64_t offset;
    int64_t timestamp;
    const uint8_t *key;
    int32_t key_len;
    const uint8_t *value;
    int32_t value_len;
    int32_t header_count;
    int64_t producer_id;    /* the batch's; -1 none */
    int16_t producer_epoch; /* -1 none */
    int32_t sequence;       /* base sequence + offset delta; -1 none */
    int transactional;      /* the batch's attribute */
    int control;
} kafc_fb_record_t;

typedef struct kafc_fb_records {
    kafc_fb_record_t *v;
    size_t count;
    void *mem_; /* private */
} kafc_fb_records_t;

/* A snapshot of every record stored in topic/partition, in offset order.
 * Free with kafc_fb_records_free. Returns 0, or -1 (unknown partition,
 * undecodable log, no memory) with *out empty. */
int kafc_fb_partition_records(kafc_fb_t *fb, const char *topic, int32_t partition,
                              kafc_fb_records_t *out);
void kafc_fb_records_free(kafc_fb_records_t *recs);

/* The log end offset (high watermark) of topic/partition, or -1. */
int64_t kafc_fb_partition_end_offset(kafc_fb_t *fb, const char *topic, int32_t partition);

/* One batch of the last Produce request handled (any broker). */
typedef struct kafc_fb_produce_batch {
    char topic[250];
    int32_t partition;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t record_count;
    int16_t error;       /* what the fake answered (or would have) */
    int64_t base_offset; /* answered base offset, -1 on error */
} kafc_fb_produce_batch_t;

/* Copies up to max batches of the last Produce request into out and
 * returns how many it had (may exceed max); 0 before any. */
int kafc_fb_last_produce(kafc_fb_t *fb, kafc_fb_produce_batch_t *out, int max);

/* How many Produce partition answers carried err so far (0: successes; a
 * duplicate counts as KAFC_ERR_DUPLICATE_SEQUENCE_NUMBER whatever it was
 * answered with), all brokers. */
int64_t kafc_fb_produce_errors(kafc_fb_t *fb, int16_t err);

#ifdef __cplusplus
}
#endif

#endif /* KAFC_TESTS_FAKEBROKER_H */
