/* SPDX-License-Identifier: MIT */
/*
 * DRIFT's key derivations (WIRE.md §3, §6.2, §9.4, §14.1, §16): each is one
 * BLAKE2b call over an ASCII label followed by the listed parts, with no
 * length prefixes or separators. Labels are spelled once, here.
 */
#ifndef DRIFT_CRYPTO_KDF_H
#define DRIFT_CRYPTO_KDF_H

#include <stdint.h>

enum kdf_size {
	KDF_KEY_BYTES = 32,
	KDF_PEER_ID_BYTES = 8,
	KDF_NONCE_BYTES = 16,
	KDF_TICKET_ID_BYTES = 16,
};

/* peer_id = H8("drift-peer-id-v1" || static_pub). */
void kdf_peer_id(uint8_t out[KDF_PEER_ID_BYTES], const uint8_t static_pub[32]);

/* K = H32("drift-session-v2" || static_dh || eph_dh || client_nonce || server_nonce). */
void kdf_session_key(uint8_t out[KDF_KEY_BYTES], const uint8_t static_dh[32],
		     const uint8_t eph_dh[32], const uint8_t client_nonce[KDF_NONCE_BYTES],
		     const uint8_t server_nonce[KDF_NONCE_BYTES]);

/*
 * initiator_rx_cid = first two bytes (BE) of H32("drift-cid-init-v1" || K),
 * responder_rx_cid likewise with "drift-cid-resp-v1".
 */
void kdf_cids(uint16_t *initiator_rx_cid, uint16_t *responder_rx_cid,
	      const uint8_t key[KDF_KEY_BYTES]);

/* K' = H32("drift-rekey-v1" || K_old || salt). */
void kdf_rekey(uint8_t out[KDF_KEY_BYTES], const uint8_t old_key[KDF_KEY_BYTES],
	       const uint8_t salt[32]);

/* psk = H32("drift-resume-psk-v1" || K || ticket_id). */
void kdf_resume_psk(uint8_t out[KDF_KEY_BYTES], const uint8_t key[KDF_KEY_BYTES],
		    const uint8_t ticket_id[KDF_TICKET_ID_BYTES]);

/* K_r = H32("drift-resume-key-v1" || psk || eph_dh || client_nonce || server_nonce). */
void kdf_resume_key(uint8_t out[KDF_KEY_BYTES], const uint8_t psk[KDF_KEY_BYTES],
		    const uint8_t eph_dh[32], const uint8_t client_nonce[KDF_NONCE_BYTES],
		    const uint8_t server_nonce[KDF_NONCE_BYTES]);

#endif
