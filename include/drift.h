/* SPDX-License-Identifier: MIT */
/*
 * drift.h - the public C API of libdrift (drift-c's embedded mode).
 *
 * Source-compatible with the C ABI of the original DRIFT project: the same
 * type names, function names, argument order and result codes, so a C
 * program written against DRIFT's header compiles against this one
 * unchanged and links with -ldrift (pkg-config: drift).
 *
 * Ownership: every handle returned by a *_generate / *_from_secret call is
 * released with the matching *_free call, which accepts NULL.
 *
 * Threads: an identity handle may be read (public key, peer id) from any
 * number of threads at once; freeing it must not race with any other use.
 */
#ifndef DRIFT_H
#define DRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every fallible call returns one of these. The values are part of the ABI. */
enum DriftResult {
	DRIFT_OK = 0,
	DRIFT_ERR_INVALID_ADDR = 1,
	DRIFT_ERR_UNKNOWN_PEER = 2,
	DRIFT_ERR_AUTH_FAILED = 3,
	DRIFT_ERR_PACKET_TOO_SHORT = 4,
	DRIFT_ERR_SESSION_EXHAUSTED = 5,
	DRIFT_ERR_HANDSHAKE_EXHAUSTED = 6,
	DRIFT_ERR_QUEUE_FULL = 7,
	DRIFT_ERR_TIMEOUT = 8,
	DRIFT_ERR_IO = 9,
	DRIFT_ERR_INVALID_ARGUMENT = 10,
	DRIFT_ERR_INTERNAL = 99,
};

/* An X25519 key pair: the node's long-term identity. Opaque. */
struct DriftIdentity;

/*
 * A fresh random identity, or NULL if the library could not initialise its
 * crypto (the random source or a failed self-test). Free with
 * drift_identity_free().
 */
struct DriftIdentity *drift_identity_generate(void);

/*
 * The identity whose X25519 secret is the 32 bytes at `secret` (stored
 * unclamped, as DRIFT key files hold it). NULL if `secret` is NULL.
 * The caller keeps ownership of `secret` and should wipe it.
 */
struct DriftIdentity *drift_identity_from_secret(const uint8_t *secret);

/* Writes the 32-byte public key to `out`. DRIFT_ERR_INVALID_ARGUMENT on NULL. */
enum DriftResult drift_identity_public_key(const struct DriftIdentity *id, uint8_t *out);

/*
 * Writes the 8-byte peer id (BLAKE2b-64 of "drift-peer-id-v1" || public
 * key) to `out`. DRIFT_ERR_INVALID_ARGUMENT on NULL.
 */
enum DriftResult drift_identity_peer_id(const struct DriftIdentity *id, uint8_t *out);

/* Wipes the secret and frees the identity. NULL is a no-op. */
void drift_identity_free(struct DriftIdentity *id);

/* ------------------------------------------------------------------------
 * Transports and messages.
 *
 * A transport is one UDP socket (IPv4 or IPv6), one DRIFT node identity,
 * its peer table and session engine, and one background I/O thread (an
 * io_uring loop) that receives, answers handshakes and runs timers.
 *
 * Threads: every drift_transport_* call may be made from any thread, also
 * concurrently; the calls serialise on an internal lock. drift_transport_free
 * must not race with any other call on the same transport. A message handle
 * belongs to the thread that received it until drift_message_free.
 */

/* A received, decrypted DATA payload. Opaque. */
struct DriftMessage;

/* A bound transport. Opaque. */
struct DriftTransport;

/*
 * Binds a UDP socket at `addr` ("0.0.0.0:9000", "127.0.0.1:0", "[::]:0")
 * and starts the transport. Takes ownership of `identity` in every case,
 * failure included: do not free it afterwards. DRIFT_ERR_INVALID_ADDR for
 * an unparsable address, DRIFT_ERR_IO when the socket cannot be bound
 * (for example the port is in use).
 */
enum DriftResult drift_transport_bind(const char *addr, struct DriftIdentity *identity,
				      struct DriftTransport **out);

/*
 * Registers a peer by its 32-byte public key. `initiator` = 1: we send the
 * HELLO when there is data for it; 0: we wait for its HELLO. A responder
 * may pass "0.0.0.0:0" and learn the address from the first HELLO. The
 * 8-byte peer id is written to `out_pid`.
 */
enum DriftResult drift_transport_add_peer(struct DriftTransport *transport, const uint8_t *peer_pub,
					  const char *addr, int initiator, uint8_t *out_pid);

/*
 * Sends one payload (at most 1348 bytes) to a peer, queueing it and
 * handshaking first if needed. `deadline_ms` = 0: no deadline;
 * `coalesce_group` = 0: no coalescing (both 0 allow the 7-byte short
 * header). DRIFT_ERR_QUEUE_FULL when 256 payloads already wait for a
 * handshake; DRIFT_ERR_HANDSHAKE_EXHAUSTED once after a handshake gave up.
 */
enum DriftResult drift_transport_send_data(struct DriftTransport *transport, const uint8_t *peer_id,
					   const uint8_t *payload, uintptr_t payload_len,
					   uint16_t deadline_ms, uint32_t coalesce_group);

/*
 * Waits up to `timeout_ms` (0 = forever) for the next received message.
 * On timeout returns DRIFT_ERR_TIMEOUT and sets *out_msg to NULL.
 */
enum DriftResult drift_transport_recv(struct DriftTransport *transport, uint64_t timeout_ms,
				      struct DriftMessage **out_msg);

/* Handshakes and resumptions completed so far (an atomic read, no lock). */
uint64_t drift_transport_handshakes_completed(const struct DriftTransport *transport);

/*
 * The bound address as text ("127.0.0.1:54321"), NUL-terminated; 64 bytes
 * always suffice. On error the buffer holds the empty string.
 */
enum DriftResult drift_transport_local_addr(const struct DriftTransport *transport, char *out_buf,
					    uintptr_t buf_len);

/* Stops the I/O thread, wipes every key and frees the transport. NULL is a no-op. */
void drift_transport_free(struct DriftTransport *transport);

uintptr_t drift_message_payload_len(const struct DriftMessage *msg);

/* The payload bytes, valid until drift_message_free(msg). */
const uint8_t *drift_message_payload(const struct DriftMessage *msg);

/* Writes the sender's 8-byte peer id to `out`. */
enum DriftResult drift_message_peer_id(const struct DriftMessage *msg, uint8_t *out);

/* Wipes and frees a message. NULL is a no-op. */
void drift_message_free(struct DriftMessage *msg);

/* ------------------------------------------------------------------------
 * drift-c extensions (not in DRIFT's C ABI).
 */

/* Per-peer state for tools (`drift show`, `drift ping`). */
struct DriftPeerStats {
	bool is_established;
	bool is_resumable;	/* a resumption ticket is held for this peer */
	bool uses_short_header; /* established with connection ids */
	bool was_resumed;	/* the session was resumed from a ticket (1-RTT) */
	uint32_t srtt_us;	/* smoothed RTT, UINT32_MAX before the first sample */
	uint64_t tx_packets, rx_packets, tx_bytes, rx_bytes;
	char endpoint[64]; /* current peer address as text */
};

/* Accept HELLOs from identities that were never registered (a server). */
enum DriftResult drift_transport_set_accept_any(struct DriftTransport *transport, bool accept_any);

/*
 * Sends `count` payloads to one peer in one call (no deadline, no
 * coalescing): one lock and one sendmmsg() per 64 datagrams instead of one
 * per payload. Stops at the first payload that fails and returns its
 * result; `*out_sent` (may be NULL) says how many went before it.
 */
enum DriftResult drift_transport_send_batch(struct DriftTransport *transport,
					    const uint8_t *peer_id, const uint8_t *const *payloads,
					    const uintptr_t *lens, uintptr_t count,
					    uintptr_t *out_sent);

/*
 * Waits like drift_transport_recv() for the first message, then takes up to
 * `max` - 1 more that are already queued. `*out_count` receives how many
 * handles were written; each is freed with drift_message_free().
 */
enum DriftResult drift_transport_recv_batch(struct DriftTransport *transport, uint64_t timeout_ms,
					    struct DriftMessage **out_msgs, uintptr_t max,
					    uintptr_t *out_count);

/*
 * Lets drift_transport_recv() poll for up to `usec` microseconds (at most
 * 1 s) before it sleeps: lower round trips for a spinning core. Default 0,
 * or DRIFT_BUSY_POLL_US from the environment at bind time.
 */
enum DriftResult drift_transport_set_busy_poll(struct DriftTransport *transport, uint32_t usec);

/* How many identities accept-any may register at once (default 8192). */
enum DriftResult drift_transport_set_max_peers(struct DriftTransport *transport,
					       uint32_t max_peers);

/*
 * DoS cookies (WIRE.md §10): with `always`, every HELLO must echo a cookie
 * from a CHALLENGE first; otherwise cookies start once `threshold`
 * handshakes are half-open (UINT32_MAX: never, the default).
 */
enum DriftResult drift_transport_set_cookies(struct DriftTransport *transport, bool always,
					     uint32_t threshold);

/*
 * Handshakes (or resumes, with a ticket) with an initiator peer and waits
 * up to `timeout_ms` for the session. DRIFT_ERR_TIMEOUT when no answer came.
 */
enum DriftResult drift_transport_connect(struct DriftTransport *transport, const uint8_t *peer_id,
					 uint64_t timeout_ms);

/* Sends CLOSE and forgets the session; a later send resumes or handshakes anew. */
enum DriftResult drift_transport_close_peer(struct DriftTransport *transport,
					    const uint8_t *peer_id);

/* Starts a new key epoch with the peer now (otherwise automatic before 2^31 packets). */
enum DriftResult drift_transport_rekey(struct DriftTransport *transport, const uint8_t *peer_id);

/*
 * The resumption ticket held for a peer as DRIFT's 97-byte export blob
 * (WIRE.md §16.2), to keep across processes. It holds a secret: store it
 * like a key (mode 0600). DRIFT_ERR_UNKNOWN_PEER without a peer,
 * DRIFT_ERR_INVALID_ARGUMENT when no ticket is held.
 */
enum DriftResult drift_transport_export_ticket(const struct DriftTransport *transport,
					       const uint8_t *peer_id, uint8_t *out97);

/*
 * Loads an exported ticket for an already registered peer; the next
 * session with it starts as a 1-RTT resumption. Refused (INVALID_ARGUMENT)
 * when malformed, expired, or for another key than the registered one.
 */
enum DriftResult drift_transport_import_ticket(struct DriftTransport *transport,
					       const uint8_t *blob97);

enum DriftResult drift_transport_peer_stats(const struct DriftTransport *transport,
					    const uint8_t *peer_id, struct DriftPeerStats *out);

#ifdef __cplusplus
}
#endif

#endif
