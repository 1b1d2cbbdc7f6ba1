/* SPDX-License-Identifier: MIT */
/*
 * The sans-io DRIFT session engine: everything WIRE.md says a node does
 * with a datagram, with no socket, thread or clock.
 *
 *   driver ──(now, bytes, from)──▶ engine_receive()   ──▶ io.send(to, bytes)
 *   app    ──(peer, payload)────▶ engine_send_data()  ──▶ io.event(DATA, ...)
 *   driver ──(now)───────────────▶ engine_on_timer()   engine_next_deadline()
 *
 * Time comes in as `now_ms`, a monotonic millisecond clock chosen by the
 * driver; unix time (cookie timestamps, ticket expiry) is derived from the
 * unix time given to engine_new() plus the monotonic delta. Randomness comes
 * from a callback so tests replay the known-answer vectors exactly.
 *
 * Where WIRE.md §24 lists a weakness that can be fixed without changing
 * bytes on the wire, the engine fixes it; docs/compat.md lists each item.
 *
 * Threads: an engine is single-threaded; one driver thread owns it. The io
 * callbacks run synchronously inside engine calls and must not call back
 * into the engine.
 */
#ifndef DRIFT_PROTO_ENGINE_H
#define DRIFT_PROTO_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/addr.h"
#include "proto/replay.h"
#include "proto/wire.h"

#include <stdatomic.h>

struct engine;

enum engine_event_type {
	ENGINE_EV_DATA,		    /* payload delivered from peer */
	ENGINE_EV_ESTABLISHED,	    /* handshake or resumption completed */
	ENGINE_EV_HANDSHAKE_FAILED, /* retries exhausted; queued payloads dropped */
	ENGINE_EV_CLOSED,	    /* peer sent CLOSE, or we closed */
	ENGINE_EV_MIGRATED,	    /* peer address changed after path validation */
	ENGINE_EV_REKEYED,	    /* a new key epoch is in use */
	ENGINE_EV_TICKET,	    /* a resumption ticket arrived (client side) */
};

struct engine_event {
	enum engine_event_type type;
	uint8_t peer_id[WIRE_PEER_ID_BYTES];
	const uint8_t *payload; /* DATA: valid only during the callback */
	size_t payload_len;
	uint32_t seq;
	uint32_t supersedes;
	struct net_addr addr; /* DATA: source; MIGRATED: the new address */
	bool is_resumed;      /* ESTABLISHED: via a ticket, 1-RTT */
};

struct engine_io {
	/* Send one datagram. `buf` is valid only during the call. */
	void (*send)(void *ctx, const struct net_addr *to, const uint8_t *buf, size_t len);
	void (*event)(void *ctx, const struct engine_event *ev);
	/* Fill `out` with random bytes; NULL means the system RNG. */
	void (*random)(void *ctx, uint8_t *out, size_t len);
	void *ctx;
};

struct engine_config {
	bool accept_any_peer;		   /* register unknown HELLO senders */
	bool cookie_always;		   /* demand cookies from every HELLO */
	uint32_t cookie_threshold;	   /* cookies once this many peers await DATA */
	uint32_t cookie_max_age_s;	   /* 60 */
	uint32_t cookie_rotate_ms;	   /* 30 000 */
	uint32_t hs_retry_base_ms;	   /* 50 */
	uint32_t hs_max_attempts;	   /* 10 */
	uint32_t rtt_probe_interval_ms;	   /* 5000; 0 disables PING */
	uint32_t awaiting_data_timeout_ms; /* 30 000 */
	uint32_t max_peers;		   /* all peers, registered and automatic */
	uint32_t max_auto_peers;	   /* 8192 */
	uint32_t ticket_store_cap;	   /* server-side tickets kept */
	uint32_t queue_cap;		   /* pre-handshake payloads per peer, 256 */
};

/* Counted reasons for dropping a received datagram. */
enum engine_drop {
	DROP_MALFORMED,	    /* header decode failed */
	DROP_NOT_FOR_US,    /* dst_id is not ours */
	DROP_MESH,	    /* mesh forwarding or BEACON: not implemented by this node */
	DROP_UNKNOWN_PEER,  /* src/body identity not registered and not accepted */
	DROP_UNKNOWN_CID,   /* short header with a CID we do not hold */
	DROP_NO_SESSION,    /* packet needs keys the peer does not have */
	DROP_BAD_STATE,	    /* valid packet for another handshake state */
	DROP_AUTH,	    /* tag did not verify / DH result all zero */
	DROP_REPLAY,	    /* replay window refused the seq */
	DROP_DEADLINE,	    /* deadline_ms expired */
	DROP_SUPERSEDED,    /* an update newer in its coalescing group was delivered */
	DROP_COOKIE,	    /* cookie missing, stale, from the future, or wrong */
	DROP_AMPLIFICATION, /* reply withheld: 3x limit to an unvalidated address */
	DROP_TICKET,	    /* resumption ticket unknown, used, expired or mismatched */
	DROP_PEER_LIMIT,    /* too many automatic peers */
	DROP_PATH,	    /* PATH_RESPONSE not matching a live probe */
	DROP_HELLO_IGNORED, /* dual initiation tie-break, or a replayed HELLO */
	DROP_REKEY_CROSSED, /* both sides rekeyed at once; the greater key's rekey wins */
	DROP_COUNT,
};

struct engine_stats {
	uint64_t drops[DROP_COUNT];
	uint64_t handshakes_completed; /* full handshakes and resumptions */
	uint64_t resumptions_completed;
	uint64_t challenges_sent;
	uint64_t rekeys;
	uint64_t cid_collisions; /* short packets that needed disambiguation */
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
	uint64_t delivered;
};

enum engine_peer_state {
	PEER_PENDING,	    /* no keys */
	PEER_AWAITING_ACK,  /* HELLO / RESUME_HELLO sent */
	PEER_AWAITING_DATA, /* responder: keys derived, first DATA not yet seen */
	PEER_ESTABLISHED,
};

struct engine_peer_info {
	enum engine_peer_state state;
	struct net_addr addr;
	bool is_initiator;
	bool has_ticket;
	uint32_t srtt_us; /* UINT32_MAX until a sample exists */
	uint32_t next_tx_seq;
	uint16_t rx_cid, tx_cid;
	bool has_short_header;				     /* a tx CID is known */
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes; /* rx: DATA; tx: every packet */
	uint64_t rx_control_packets; /* authenticated control packets (PING, PONG, ...) */
	uint64_t last_handshake_ms;
	bool is_hs_exhausted; /* the last handshake ran out of retries */
	bool is_resumed;      /* the session was resumed from a ticket (1-RTT) */
};

/* Defaults as WIRE.md §23 lists them. */
void engine_config_default(struct engine_config *cfg);

/*
 * Creates an engine for the identity `secret` (copied; the caller wipes
 * its own). Returns NULL on allocation failure or an invalid config.
 */
struct engine *engine_new(const uint8_t secret[WIRE_KEY_BYTES], const struct engine_config *cfg,
			  const struct engine_io *io, uint64_t now_ms, uint64_t unix_ms);
void engine_free(struct engine *e);

void engine_public_key(const struct engine *e, uint8_t out[WIRE_KEY_BYTES]);
void engine_peer_id(const struct engine *e, uint8_t out[WIRE_PEER_ID_BYTES]);

/*
 * Registers a peer. `addr` may be an ADDR_NONE placeholder for a responder
 * that learns the address from the first HELLO. Re-registering the same
 * key updates address and role. Returns 0, -EEXIST when another key already
 * has this peer id, -ENOSPC when the table is full, -EINVAL on a bad key.
 */
int engine_add_peer(struct engine *e, const uint8_t pub[WIRE_KEY_BYTES],
		    const struct net_addr *addr, bool is_initiator,
		    uint8_t out_id[WIRE_PEER_ID_BYTES]);

/*
 * Sends (or queues until the handshake completes) one DATA payload.
 * Returns 0; -ENOENT unknown peer; -EMSGSIZE over 1348 bytes; -ENOBUFS
 * queue full; -EPIPE handshake exhausted (cleared by the next call);
 * -ERANGE sequence space exhausted; -ENOTCONN no keys and not an initiator.
 */
int engine_send_data(struct engine *e, uint64_t now_ms, const uint8_t id[WIRE_PEER_ID_BYTES],
		     const uint8_t *payload, size_t len, uint16_t deadline_ms, uint32_t supersedes);

/* Processes one received datagram. Never fails: bad input is counted. */
void engine_receive(struct engine *e, uint64_t now_ms, const uint8_t *buf, size_t len,
		    const struct net_addr *from);

/* Runs every timer due at `now_ms` (retransmits, PING, sweeps, rotation). */
void engine_on_timer(struct engine *e, uint64_t now_ms);

/* The earliest time engine_on_timer() has work, or UINT64_MAX. */
uint64_t engine_next_deadline(const struct engine *e);

/*
 * Starts a handshake (or a resumption, with a live ticket) to an initiator
 * peer that has no session. Returns 0 (also when one is already under way
 * or done), -ENOENT, -ENOTCONN for a responder-only peer.
 */
int engine_connect(struct engine *e, uint64_t now_ms, const uint8_t id[WIRE_PEER_ID_BYTES]);

/* Turns accepting HELLOs from unregistered identities on or off. */
void engine_set_accept_any_peer(struct engine *e, bool accept_any);

/*
 * How many peers accept-any may register (WIRE.md default 8192); the table
 * holds that many plus the registered ones. Lowering it never evicts.
 */
void engine_set_max_auto_peers(struct engine *e, uint32_t max_auto);

/* Cookie policy (WIRE.md §10.1): always, or once `threshold` peers await DATA. */
void engine_set_cookies(struct engine *e, bool always, uint32_t threshold);

/* Application-initiated control (each returns 0 or a negative errno). */
int engine_rekey(struct engine *e, uint64_t now_ms, const uint8_t id[WIRE_PEER_ID_BYTES]);
int engine_close(struct engine *e, uint64_t now_ms, const uint8_t id[WIRE_PEER_ID_BYTES]);
int engine_ping(struct engine *e, uint64_t now_ms, const uint8_t id[WIRE_PEER_ID_BYTES]);
int engine_probe_path(struct engine *e, uint64_t now_ms, const uint8_t id[WIRE_PEER_ID_BYTES],
		      const struct net_addr *candidate);

/* The 97-byte ticket blob of WIRE.md §16.2, to persist and re-import. */
int engine_export_ticket(const struct engine *e, const uint8_t id[WIRE_PEER_ID_BYTES],
			 uint8_t out[WIRE_TICKET_BLOB_BYTES]);
int engine_import_ticket(struct engine *e, uint64_t now_ms,
			 const uint8_t blob[WIRE_TICKET_BLOB_BYTES]);

const struct engine_stats *engine_stats(const struct engine *e);
const char *engine_drop_name(enum engine_drop d);
int engine_peer_info(const struct engine *e, const uint8_t id[WIRE_PEER_ID_BYTES],
		     struct engine_peer_info *out);
const char *engine_peer_state_name(enum engine_peer_state s);

/* Number of peers currently in AwaitingData (the cookie-mode input). */
uint32_t engine_awaiting_data_count(const struct engine *e);

/* ---- handing sessions to an external dataplane (proto/offload.c, driftd) */

struct engine_epoch_export {
	bool is_set;
	uint8_t key[WIRE_KEY_BYTES];
	uint8_t tx_dir;
	bool has_cids;
	bool is_rx_only_cids; /* CIDs inherited by a resumption: receive only */
	uint16_t rx_cid, tx_cid;
	uint64_t installed_ms;
	struct replay_window replay;
};

struct engine_session_export {
	enum engine_peer_state state;
	uint8_t pub[WIRE_KEY_BYTES];
	uint8_t id[WIRE_PEER_ID_BYTES];
	struct net_addr addr;
	bool is_initiator;
	uint64_t epoch_ms, last_handshake_ms; /* engine clock */
	uint32_t next_tx_seq;
	struct engine_epoch_export cur;	 /* set only when Established */
	struct engine_epoch_export prev; /* set only while within its rekey grace */
};

/*
 * Copies a session's state, keys included, into `out` (the caller wipes it
 * with engine_session_export_wipe()). Returns 0 or -ENOENT.
 */
int engine_session_export(const struct engine *e, uint64_t now_ms,
			  const uint8_t id[WIRE_PEER_ID_BYTES], struct engine_session_export *out);
void engine_session_export_wipe(struct engine_session_export *s);

/*
 * Makes the peer's current epoch take tx seqs from `word` ((tag << 32) |
 * next seq, atomically shared with a dataplane) until the epoch changes,
 * when the binding drops by itself. NULL unbinds. Returns 0, -ENOENT, or
 * -ENOTCONN when the peer is not Established.
 */
int engine_bind_tx_counter(struct engine *e, const uint8_t id[WIRE_PEER_ID_BYTES],
			   _Atomic uint64_t *word, uint32_t tag);

/*
 * Re-creates an Established peer from an exported session (driftd found it
 * in the dataplane's table after a restart). Seqs up to `rx_floor_seq` are
 * refused on receive. Returns 0, -EEXIST if the peer already has a session,
 * -EINVAL for a session that is not Established, or engine_add_peer()'s errors.
 */
int engine_session_import(struct engine *e, uint64_t now_ms, const struct engine_session_export *s,
			  uint32_t rx_floor_seq);

/* The dataplane delivered authenticated DATA from `from` (WIRE.md §17.1). */
int engine_note_new_source(struct engine *e, uint64_t now_ms, const uint8_t id[WIRE_PEER_ID_BYTES],
			   const struct net_addr *from, size_t wire_len);

typedef void (*engine_peer_fn)(void *ctx, const uint8_t id[WIRE_PEER_ID_BYTES],
			       enum engine_peer_state state);
/* Calls `fn` for every peer; `fn` must not call into the engine. */
void engine_for_each_peer(const struct engine *e, engine_peer_fn fn, void *ctx);

#endif
