/* SPDX-License-Identifier: MIT */
/*
 * The transport API over real sockets on 127.0.0.1: argument and address
 * errors with their result codes, a connect that times out against a port
 * nobody answers, the batch calls (every payload delivered once, in order),
 * the drift-c extensions' validation, and ticket export/import across two
 * transports (a second process's worth of state) ending in a resumption.
 */
#include <drift.h>

#include "tests/lib/harness.h"

#include <stdio.h>
#include <time.h>

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* 1: bad arguments and addresses. */
static void test_errors(void)
{
	struct DriftTransport *t = NULL, *t2 = NULL;
	struct DriftMessage *m = (struct DriftMessage *)1;
	uint8_t pub[32] = {1}, pid[8], own[32];
	char addr[64];

	CHECK_EQ(drift_transport_bind("not an address", drift_identity_generate(), &t),
		 DRIFT_ERR_INVALID_ADDR);
	CHECK(t == NULL);
	CHECK_EQ(drift_transport_bind("127.0.0.1:0", NULL, &t), DRIFT_ERR_INVALID_ARGUMENT);
	CHECK_EQ(drift_transport_bind("127.0.0.1:0", drift_identity_generate(), &t), DRIFT_OK);
	if (!t)
		return;
	CHECK_EQ(drift_transport_local_addr(t, addr, sizeof(addr)), DRIFT_OK);
	/* The port is taken now: a second bind fails with an I/O error. */
	CHECK_EQ(drift_transport_bind(addr, drift_identity_generate(), &t2), DRIFT_ERR_IO);
	CHECK_EQ(drift_transport_local_addr(t, addr, 4), DRIFT_ERR_INVALID_ARGUMENT);
	CHECK_EQ(addr[0], 0);
	CHECK_EQ(drift_transport_add_peer(t, pub, "300.1.1.1:9", 1, pid), DRIFT_ERR_INVALID_ADDR);
	CHECK_EQ(drift_transport_add_peer(t, pub, "127.0.0.1", 1, pid), DRIFT_ERR_INVALID_ADDR);
	memset(pid, 0x42, sizeof(pid));
	CHECK_EQ(drift_transport_send_data(t, pid, (const uint8_t *)"x", 1, 0, 0),
		 DRIFT_ERR_UNKNOWN_PEER);
	CHECK_EQ(drift_transport_add_peer(t, pub, "127.0.0.1:9", 1, pid), DRIFT_OK);
	{
		uint8_t big[1400] = {0};

		CHECK_EQ(drift_transport_send_data(t, pid, big, 1349, 0, 0),
			 DRIFT_ERR_INVALID_ARGUMENT);
	}
	CHECK_EQ(drift_transport_recv(t, 20, &m), DRIFT_ERR_TIMEOUT);
	CHECK(m == NULL);
	CHECK_EQ(drift_transport_set_busy_poll(t, 1000001), DRIFT_ERR_INVALID_ARGUMENT);
	CHECK_EQ(drift_transport_set_busy_poll(t, 10), DRIFT_OK);
	CHECK_EQ(drift_transport_set_max_peers(t, 0), DRIFT_ERR_INVALID_ARGUMENT);
	{
		uint8_t blob[97];

		CHECK_EQ(drift_transport_export_ticket(t, pid, blob), DRIFT_ERR_INVALID_ARGUMENT);
		memset(blob, 0, sizeof(blob));
		CHECK_EQ(drift_transport_import_ticket(t, blob), DRIFT_ERR_INVALID_ARGUMENT);
	}
	/* Our own public key is not a peer. */
	{
		struct DriftIdentity *id = drift_identity_generate();
		struct DriftTransport *t3 = NULL;

		drift_identity_public_key(id, own);
		CHECK_EQ(drift_transport_bind("127.0.0.1:0", id, &t3), DRIFT_OK);
		CHECK_EQ(drift_transport_add_peer(t3, own, "127.0.0.1:9", 1, pid),
			 DRIFT_ERR_INVALID_ARGUMENT);
		drift_transport_free(t3);
	}
	drift_transport_free(t);
}

/* 2: a connect to a port nobody answers times out on time. */
static void test_connect_timeout(void)
{
	struct DriftTransport *t = NULL;
	uint8_t pub[32], pid[8];
	struct DriftIdentity *other = drift_identity_generate();
	uint64_t start;
	enum DriftResult r;

	drift_identity_public_key(other, pub);
	drift_identity_free(other);
	CHECK_EQ(drift_transport_bind("127.0.0.1:0", drift_identity_generate(), &t), DRIFT_OK);
	if (!t)
		return;
	CHECK_EQ(drift_transport_add_peer(t, pub, "127.0.0.1:9", 1, pid), DRIFT_OK);
	start = mono_ms();
	r = drift_transport_connect(t, pid, 300);
	CHECK_EQ(r, DRIFT_ERR_TIMEOUT);
	CHECK(mono_ms() - start >= 290);
	drift_transport_free(t);
}

/* Two transports on loopback, b accepting a; returns a's id for b in *b_pid. */
static bool pair_up(struct DriftTransport **a, struct DriftTransport **b, uint8_t a_pid_of_b[8])
{
	struct DriftIdentity *ia = drift_identity_generate(), *ib = drift_identity_generate();
	uint8_t pub_b[32];
	char addr_b[64];

	drift_identity_public_key(ib, pub_b);
	drift_identity_free(ia);
	if (drift_transport_bind("127.0.0.1:0", ib, b) != DRIFT_OK)
		return false;
	drift_transport_set_accept_any(*b, true);
	drift_transport_local_addr(*b, addr_b, sizeof(addr_b));
	if (drift_transport_bind("127.0.0.1:0", drift_identity_generate(), a) != DRIFT_OK)
		return false;
	return drift_transport_add_peer(*a, pub_b, addr_b, 1, a_pid_of_b) == DRIFT_OK &&
	       drift_transport_connect(*a, a_pid_of_b, 3000) == DRIFT_OK;
}

/* 3: batch send and receive: 500 payloads, each delivered once, in order. */
static void test_batches(void)
{
	enum { N = 500, BATCH = 50 };
	struct DriftTransport *a = NULL, *b = NULL;
	uint8_t pid[8], bufs[N][8];
	const uint8_t *payloads[N];
	uintptr_t lens[N], sent = 0, got = 0;
	unsigned expect = 0;
	bool in_order = true;

	if (!pair_up(&a, &b, pid)) {
		CHECK(false);
		goto out;
	}
	for (unsigned i = 0; i < N; i++) {
		snprintf((char *)bufs[i], sizeof(bufs[i]), "%07u", i);
		payloads[i] = bufs[i];
		lens[i] = 8;
	}
	for (unsigned i = 0; i < N; i += BATCH) {
		uintptr_t n = 0;

		CHECK_EQ(drift_transport_send_batch(a, pid, payloads + i, lens + i, BATCH, &n),
			 DRIFT_OK);
		sent += n;
	}
	CHECK_EQ(sent, N);
	while (got < N) {
		struct DriftMessage *m[64];
		uintptr_t n = 0;

		if (drift_transport_recv_batch(b, 2000, m, 64, &n) != DRIFT_OK)
			break;
		for (uintptr_t i = 0; i < n; i++) {
			char want[8];

			snprintf(want, sizeof(want), "%07u", expect++);
			in_order = in_order && memcmp(drift_message_payload(m[i]), want, 8) == 0;
			drift_message_free(m[i]);
		}
		got += n;
	}
	CHECK_EQ(got, N);
	CHECK(in_order);
	CHECK_EQ(drift_transport_send_batch(a, pid, payloads, NULL, 3, &sent),
		 DRIFT_ERR_INVALID_ARGUMENT);
out:
	drift_transport_free(a);
	drift_transport_free(b);
}

/* 4: a ticket exported by one transport resumes the session in a new one. */
static void test_ticket_across_transports(void)
{
	struct DriftTransport *a = NULL, *b = NULL, *a2 = NULL;
	struct DriftIdentity *ia2;
	struct DriftPeerStats st;
	uint8_t pid[8], pid2[8], blob[97], pub_b[32];
	struct DriftMessage *m = NULL;
	char addr_b[64];
	int tries;

	if (!pair_up(&a, &b, pid)) {
		CHECK(false);
		goto out;
	}
	/* The responder confirms the session (and sends its ticket) on the first DATA. */
	CHECK_EQ(drift_transport_send_data(a, pid, (const uint8_t *)"first", 5, 0, 0), DRIFT_OK);
	CHECK_EQ(drift_transport_recv(b, 2000, &m), DRIFT_OK);
	drift_message_free(m);
	m = NULL;
	for (tries = 0; tries < 200; tries++) {
		if (drift_transport_export_ticket(a, pid, blob) == DRIFT_OK)
			break;
		struct timespec ts = {0, 5000000};

		nanosleep(&ts, NULL);
	}
	CHECK(tries < 200);
	if (tries == 200)
		goto out;
	drift_transport_local_addr(b, addr_b, sizeof(addr_b));
	CHECK_EQ(drift_transport_peer_stats(a, pid, &st), DRIFT_OK);
	CHECK(st.is_established);
	/* The blob names the server: its key is what we registered. */
	memcpy(pub_b, blob + 1 + 16 + 32 + 8 + 8, 32);
	ia2 = drift_identity_generate();
	CHECK_EQ(drift_transport_bind("127.0.0.1:0", ia2, &a2), DRIFT_OK);
	CHECK_EQ(drift_transport_add_peer(a2, pub_b, addr_b, 1, pid2), DRIFT_OK);
	/* Another identity may load the blob, but b bound the ticket to a's key... */
	CHECK_EQ(drift_transport_import_ticket(a2, blob), DRIFT_OK);
	CHECK_EQ(drift_transport_connect(a2, pid2, 3000), DRIFT_OK);
	CHECK_EQ(drift_transport_peer_stats(a2, pid2, &st), DRIFT_OK);
	/* ...and the client falls back to a full handshake (Q10). */
	CHECK(st.is_established && !st.was_resumed);
	/* a itself closes and resumes with its ticket. */
	CHECK_EQ(drift_transport_close_peer(a, pid), DRIFT_OK);
	CHECK_EQ(drift_transport_import_ticket(a, blob), DRIFT_OK);
	CHECK_EQ(drift_transport_connect(a, pid, 3000), DRIFT_OK);
	CHECK_EQ(drift_transport_peer_stats(a, pid, &st), DRIFT_OK);
	CHECK(st.was_resumed);
	CHECK_EQ(drift_transport_send_data(a, pid, (const uint8_t *)"resumed", 7, 0, 0), DRIFT_OK);
	CHECK_EQ(drift_transport_recv(b, 2000, &m), DRIFT_OK);
	CHECK(m && drift_message_payload_len(m) == 7);
	drift_message_free(m);
out:
	drift_transport_free(a);
	drift_transport_free(a2);
	drift_transport_free(b);
}

int main(void)
{
	test_errors();
	test_connect_timeout();
	test_batches();
	test_ticket_across_transports();
	return harness_finish();
}
