/* SPDX-License-Identifier: MIT */
/*
 * The engine's internal state, shared by the proto/ files that implement
 * it (engine.c dispatch and timers, handshake.c, resume.c, data.c,
 * control.c, keysched.c, peer_table.c). Not part of any public API; unit
 * tests include it for hooks that set a sequence number or read an epoch.
 */
#ifndef DRIFT_PROTO_ENGINE_IMPL_H
#define DRIFT_PROTO_ENGINE_IMPL_H

#include "proto/engine.h"

#include "crypto/aead.h"
#include "proto/coalesce.h"
#include "proto/cookie.h"
#include "proto/header.h"
#include "proto/replay.h"

#include <stdatomic.h>

enum engine_timing {
	REKEY_GRACE_MS = 2000,
	PATH_PROBE_RETRY_MS = 500,
	PATH_PROBE_TIMEOUT_MS = 3000,
	HS_SCAN_MS = 25,
	TICKET_TTL_MS = 86400 * 1000,
	RETRY_SHIFT_MAX = 12,
};

/*
 * One CID index entry: a key epoch registered under its receive CID.
 * Several epochs (of one or several peers) may share a CID; the index keeps
 * them all and short-header lookup disambiguates (WIRE.md §24 Q6).
 */
struct cid_link {
	struct peer *peer;
	struct key_epoch *epoch;
	struct cid_link *next;
	uint16_t cid;
	bool is_linked;
};

/* One key epoch: a session key and everything that lives and dies with it. */
struct key_epoch {
	bool is_set;
	uint8_t key[WIRE_KEY_BYTES]; /* raw K: tickets and rekey derive from it */
	struct aead_key aead;
	uint8_t tx_dir;		/* enum wire_direction of our sends */
	bool has_cids;		/* false after a resumption with no prior CIDs */
	bool is_inherited_cids; /* carried over by a resumption: receive only (resume.c) */
	uint16_t rx_cid, tx_cid;
	struct replay_window replay; /* per epoch: old-key packets never disturb new (Q8) */
	uint64_t installed_ms;
	struct cid_link link;
};

struct queued_payload {
	struct queued_payload *next;
	uint16_t len;
	uint16_t deadline_ms;
	uint32_t supersedes;
	uint8_t data[];
};

/* Bytes exchanged with an address not yet validated (the 3x rule, Q20). */
struct amp_budget {
	uint64_t rx_bytes;
	uint64_t tx_bytes;
};

/* Initiator side of a handshake or resumption in flight. */
struct initiator_state {
	uint8_t eph_secret[WIRE_KEY_BYTES];
	uint8_t eph_pub[WIRE_KEY_BYTES];
	uint8_t nonce[WIRE_HS_NONCE_BYTES];
	uint8_t cookie[WIRE_COOKIE_BYTES];
	bool has_cookie;
	bool is_resume;
	uint8_t ticket_id[WIRE_TICKET_ID_BYTES];
	uint8_t psk[WIRE_KEY_BYTES];
	uint32_t attempts;
	uint64_t last_sent_ms;
};

/* Responder side: the derived-but-unconfirmed key lives in peer->next. */
struct responder_state {
	uint8_t ack[WIRE_LONG_HDR_BYTES + WIRE_HELLO_ACK_BODY_BYTES]; /* cached, resent verbatim */
	uint8_t client_nonce[WIRE_HS_NONCE_BYTES];
	uint8_t last_nonce[WIRE_HS_NONCE_BYTES]; /* of the handshake now established */
	bool has_last_nonce;
	struct net_addr ack_to;
	struct amp_budget amp; /* toward ack_to when it differs from a validated addr */
	uint64_t started_ms;
};

struct path_probe {
	bool is_active;
	bool is_trusted; /* asked for by the application: no amplification limit */
	struct net_addr candidate;
	uint8_t challenge[WIRE_PATH_CHALLENGE_BYTES];
	uint64_t started_ms;
	uint64_t last_sent_ms;
	struct amp_budget amp;
};

struct client_ticket {
	bool is_set;
	uint8_t id[WIRE_TICKET_ID_BYTES];
	uint8_t psk[WIRE_KEY_BYTES];
	uint64_t expiry_unix_ms;
};

struct rtt_estimate {
	bool has_sample;
	uint64_t srtt_us;
	uint64_t rttvar_us;
};

struct peer {
	uint8_t id[WIRE_PEER_ID_BYTES];
	uint8_t pub[WIRE_KEY_BYTES];
	uint8_t static_dh[WIRE_KEY_BYTES]; /* cached: the static-static term never changes */
	bool has_static_dh;
	bool is_initiator;
	bool is_auto; /* registered by accept-any; deleted rather than reset */
	enum engine_peer_state state;

	struct net_addr addr;
	bool is_addr_validated;
	struct net_addr home_addr; /* the address the application configured, if any */
	bool has_home_addr;
	struct amp_budget amp; /* toward `addr` while it is not validated */

	struct key_epoch cur;  /* in use for tx and first choice for rx */
	struct key_epoch prev; /* rx only, for REKEY_GRACE_MS after a key change */
	struct key_epoch next; /* responder: derived from a HELLO, unconfirmed */
	uint32_t tx_seq;       /* next seq to send under cur, unless shared_tx is set */
	/*
	 * driftd: the session slot's tx word while cur is installed in the
	 * dataplane's table ((tag << 32) | next seq, shared with drift-dp's
	 * workers); NULL otherwise. Cleared whenever cur changes.
	 */
	_Atomic uint64_t *shared_tx;
	uint32_t shared_tx_tag;
	uint64_t epoch_ms; /* session epoch for send_time_ms and deadlines */
	uint64_t last_handshake_ms;

	struct initiator_state ini;
	struct responder_state resp;
	bool is_hs_exhausted;
	bool is_resumed;       /* the current session came from a ticket */
	bool is_rekey_pending; /* our REKEY_REQUEST is not acknowledged yet */

	struct queued_payload *queue_head, *queue_tail;
	uint32_t queue_len;

	struct coalesce_table *coalesce; /* allocated on the first coalescing packet */
	struct rtt_estimate rtt;

	uint8_t ping_nonce[WIRE_PING_NONCE_BYTES];
	bool is_ping_outstanding;
	uint64_t ping_sent_ms;
	uint64_t next_ping_ms;

	struct path_probe probe;
	struct client_ticket ticket;
	struct { /* CIDs of the last epoch that had them: a resumption keeps them (Q6) */
		bool is_set;
		uint16_t rx, tx;
	} last_cids;

	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
	uint64_t rx_control_packets; /* authenticated long-header control (PING, PONG, ...) */

	struct peer *hash_next;
	struct peer *list_prev, *list_next;
};

struct ticket_entry {
	bool is_used;
	uint8_t id[WIRE_TICKET_ID_BYTES];
	uint8_t psk[WIRE_KEY_BYTES];
	uint8_t client_pub[WIRE_KEY_BYTES];
	uint64_t expiry_unix_ms;
	bool has_cids; /* the session's CIDs, for a peer re-created from this ticket */
	uint16_t rx_cid, tx_cid;
	int32_t next; /* next ring index in the same bucket, or -1 */
};

struct engine {
	struct engine_config cfg;
	struct engine_io io;
	uint8_t secret[WIRE_KEY_BYTES];
	uint8_t pub[WIRE_KEY_BYTES];
	uint8_t id[WIRE_PEER_ID_BYTES];

	uint64_t unix_base_ms; /* unix time = unix_base_ms + now_ms */
	uint64_t now_ms;       /* latest time seen; timers never go backwards */

	struct peer **buckets;	/* peer id -> peer, chained */
	uint8_t bucket_key[16]; /* keys the bucket hash: ids are chosen by whoever makes a key */
	uint32_t bucket_mask;
	struct peer *peers; /* all peers, for timers */
	uint32_t peer_count, auto_peer_count, awaiting_count;

	struct cid_link *cid_index[65536];

	struct cookie_secrets cookies;

	struct ticket_entry *tickets; /* ring, oldest overwritten first */
	uint32_t ticket_next;
	int32_t *ticket_buckets; /* ticket id -> ring index, chained through entry.next */
	uint32_t ticket_bucket_mask;

	uint64_t next_deadline_ms;
	uint64_t next_scan_ms; /* the peer scan runs at most every HS_SCAN_MS */
	struct engine_stats stats;
};

/* ---- time and randomness (engine.c) */
uint64_t engine_unix_ms(const struct engine *e);
void engine_random(struct engine *e, uint8_t *out, size_t len);
void engine_schedule(struct engine *e, uint64_t at_ms);
void engine_emit(struct engine *e, const struct engine_event *ev);
void engine_count_drop(struct engine *e, enum engine_drop d);
bool engine_transmit(struct engine *e, struct peer *p, const struct net_addr *to,
		     const uint8_t *buf, size_t len);
struct amp_budget *amp_budget_for(struct peer *p, const struct net_addr *to);
bool amp_allows(struct peer *p, const struct net_addr *to, size_t len);

/* ---- peer table and CID index (peer_table.c) */
struct peer *peer_find(const struct engine *e, const uint8_t id[WIRE_PEER_ID_BYTES]);
struct peer *peer_create(struct engine *e, const uint8_t pub[WIRE_KEY_BYTES], bool is_auto);
void peer_destroy(struct engine *e, struct peer *p);
void peer_forget_session(struct engine *e, struct peer *p);
void peer_set_state(struct engine *e, struct peer *p, enum engine_peer_state s);
void cid_register(struct engine *e, struct peer *p, struct key_epoch *k);
void cid_unregister(struct engine *e, struct key_epoch *k);
struct cid_link *cid_lookup(const struct engine *e, uint16_t cid);
void queue_clear(struct peer *p);
bool static_dh_get(struct engine *e, struct peer *p);

/* ---- key epochs and sealed packets (keysched.c) */
int epoch_install(struct key_epoch *k, const uint8_t key[WIRE_KEY_BYTES], uint8_t tx_dir,
		  uint64_t now_ms);
void epoch_clear(struct engine *e, struct key_epoch *k);
void epoch_move(struct engine *e, struct key_epoch *dst, struct key_epoch *src, struct peer *p);
void epoch_derive_cids(struct key_epoch *k);
bool epoch_prev_is_live(const struct peer *p, uint64_t now_ms);
void header_for_peer(const struct engine *e, const struct peer *p, struct long_header *h,
		     uint8_t type, uint64_t now_ms);
struct key_epoch *tx_epoch(struct peer *p);
int seal_and_send(struct engine *e, struct peer *p, struct long_header *h, const uint8_t *pt,
		  size_t pt_len, const struct net_addr *to);
int send_sealed(struct engine *e, struct peer *p, uint64_t now_ms, uint8_t type, const uint8_t *pt,
		size_t pt_len, const struct net_addr *to);
bool open_long(struct key_epoch *k, const uint8_t *pkt, size_t len, uint8_t *pt);
uint32_t peer_tx_peek(const struct peer *p);
bool peer_tx_take(struct peer *p, uint32_t *seq);
void peer_tx_reset(struct peer *p, uint32_t start);

/* ---- handshake (handshake.c) */
void handshake_ack_aad(uint8_t aad[WIRE_ACK_AAD_BYTES], const struct long_header *h,
		       const uint8_t *eph_pub, const uint8_t *server_nonce);
struct peer *handshake_ack_peer(struct engine *e, const struct long_header *h, bool is_resume);
bool handshake_ack_verify(const uint8_t key[WIRE_KEY_BYTES], const struct long_header *h,
			  const uint8_t *body, uint32_t nonce_seq);
void handshake_begin_attempt(struct engine *e, struct peer *p, bool is_resume, uint64_t now_ms);
int handshake_start(struct engine *e, struct peer *p, uint64_t now_ms);
void handshake_on_hello(struct engine *e, uint64_t now_ms, const struct long_header *h,
			const uint8_t *pkt, size_t len, const struct net_addr *from);
void handshake_on_hello_ack(struct engine *e, uint64_t now_ms, const struct long_header *h,
			    const uint8_t *pkt, size_t len, const struct net_addr *from);
void handshake_on_challenge(struct engine *e, uint64_t now_ms, const struct long_header *h,
			    const uint8_t *pkt, size_t len);
void handshake_retransmit(struct engine *e, struct peer *p, uint64_t now_ms);
void handshake_confirm_responder(struct engine *e, struct peer *p, uint64_t now_ms,
				 const struct net_addr *from);
void handshake_established(struct engine *e, struct peer *p, uint64_t now_ms, bool is_resumed);

/* ---- resumption (resume.c) */
bool resume_can_start(const struct engine *e, const struct peer *p);
int resume_start(struct engine *e, struct peer *p, uint64_t now_ms);
void resume_send_hello(struct engine *e, struct peer *p, uint64_t now_ms, bool is_retransmit);
int resume_issue_ticket(struct engine *e, struct peer *p, uint64_t now_ms);
void resume_on_ticket(struct engine *e, struct peer *p, const struct key_epoch *k,
		      const uint8_t pt[WIRE_TICKET_PLAINTEXT_BYTES]);
void resume_on_hello(struct engine *e, uint64_t now_ms, const struct long_header *h,
		     const uint8_t *pkt, size_t len, const struct net_addr *from);
void resume_on_ack(struct engine *e, uint64_t now_ms, const struct long_header *h,
		   const uint8_t *pkt, size_t len);

/* ---- DATA (data.c) */
int data_send(struct engine *e, struct peer *p, uint64_t now_ms, const uint8_t *payload, size_t len,
	      uint16_t deadline_ms, uint32_t supersedes, bool force_long);
void data_flush_queue(struct engine *e, struct peer *p, uint64_t now_ms);
void data_on_long(struct engine *e, uint64_t now_ms, const struct long_header *h,
		  const uint8_t *pkt, size_t len, const struct net_addr *from);
void data_on_short(struct engine *e, uint64_t now_ms, const uint8_t *pkt, size_t len,
		   const struct net_addr *from);

/* ---- control packets (control.c) */
void control_on_sealed(struct engine *e, uint64_t now_ms, const struct long_header *h,
		       const uint8_t *pkt, size_t len, const struct net_addr *from);
int control_rekey(struct engine *e, struct peer *p, uint64_t now_ms);
int control_ping(struct engine *e, struct peer *p, uint64_t now_ms);
int control_close(struct engine *e, struct peer *p, uint64_t now_ms);
int control_probe(struct engine *e, struct peer *p, uint64_t now_ms,
		  const struct net_addr *candidate);
void control_on_new_source(struct engine *e, struct peer *p, uint64_t now_ms,
			   const struct net_addr *from, size_t rx_len);
void control_timers(struct engine *e, struct peer *p, uint64_t now_ms);
void rtt_sample(struct rtt_estimate *r, uint64_t sample_us);

/* ---- test hooks */
void engine_test_set_tx_seq(struct engine *e, const uint8_t id[WIRE_PEER_ID_BYTES], uint32_t seq);

#endif
