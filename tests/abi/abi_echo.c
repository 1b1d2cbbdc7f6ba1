/* SPDX-License-Identifier: MIT */
/*
 * A program written against DRIFT's C ABI only (nothing drift-c adds):
 * two transports on 127.0.0.1, Alice sends a message, Bob echoes it, Alice
 * checks the echo. It includes "drift.h" and uses no other project header,
 * so it is the proof that such programs build and run against libdrift
 * unchanged. Built twice: linked with libdrift.a and with libdrift.so.
 */
#include "drift.h"

#include <stdio.h>
#include <string.h>

#define MUST(call)                                                                                \
	do {                                                                                      \
		enum DriftResult r_ = (call);                                                     \
		if (r_ != DRIFT_OK) {                                                             \
			fprintf(stderr, "%s:%d: %s -> %d\n", __FILE__, __LINE__, #call, (int)r_); \
			return 1;                                                                 \
		}                                                                                 \
	} while (0)

int main(void)
{
	struct DriftIdentity *alice_id = drift_identity_generate();
	struct DriftIdentity *bob_id = drift_identity_generate();
	struct DriftTransport *alice = NULL, *bob = NULL;
	struct DriftMessage *msg = NULL;
	uint8_t alice_pub[32], bob_pub[32], alice_pid[8], bob_pid[8], from[8];
	char bob_addr[64];
	const char *text = "hello from C";
	int ok;

	if (!alice_id || !bob_id)
		return 1;
	MUST(drift_identity_public_key(alice_id, alice_pub));
	MUST(drift_identity_public_key(bob_id, bob_pub));
	MUST(drift_transport_bind("127.0.0.1:0", bob_id, &bob));
	MUST(drift_transport_local_addr(bob, bob_addr, sizeof(bob_addr)));
	MUST(drift_transport_add_peer(bob, alice_pub, "0.0.0.0:0", 0, alice_pid));
	MUST(drift_transport_bind("127.0.0.1:0", alice_id, &alice));
	MUST(drift_transport_add_peer(alice, bob_pub, bob_addr, 1, bob_pid));

	MUST(drift_transport_send_data(alice, bob_pid, (const uint8_t *)text, strlen(text), 0, 0));
	MUST(drift_transport_recv(bob, 5000, &msg));
	MUST(drift_message_peer_id(msg, from));
	if (memcmp(from, alice_pid, 8) != 0) {
		fprintf(stderr, "sender id mismatch\n");
		return 1;
	}
	MUST(drift_transport_send_data(bob, from, drift_message_payload(msg),
				       drift_message_payload_len(msg), 0, 0));
	drift_message_free(msg);
	msg = NULL;
	MUST(drift_transport_recv(alice, 5000, &msg));
	ok = drift_message_payload_len(msg) == strlen(text) &&
	     memcmp(drift_message_payload(msg), text, strlen(text)) == 0;
	printf("echo %s, handshakes alice=%llu bob=%llu\n", ok ? "matches" : "DIFFERS",
	       (unsigned long long)drift_transport_handshakes_completed(alice),
	       (unsigned long long)drift_transport_handshakes_completed(bob));
	ok = ok && drift_transport_handshakes_completed(alice) == 1 &&
	     drift_transport_handshakes_completed(bob) == 1;
	/* A short timeout with nothing to read returns TIMEOUT and NULL. */
	drift_message_free(msg);
	msg = (struct DriftMessage *)1;
	ok = ok && drift_transport_recv(alice, 50, &msg) == DRIFT_ERR_TIMEOUT && msg == NULL;
	drift_transport_free(alice);
	drift_transport_free(bob);
	drift_transport_free(NULL);
	drift_message_free(NULL);
	printf("%s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
