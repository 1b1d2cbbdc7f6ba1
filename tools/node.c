/* SPDX-License-Identifier: MIT */
/*
 * Shared setup for the networking subcommands. The bind is tried once with
 * a plain socket first so a failure can be reported with its errno ("port
 * in use") rather than the C ABI's generic DRIFT_ERR_IO.
 */
#include "tools/node.h"

#include "control/udp_socket.h"
#include "crypto/rng.h"
#include "crypto/secret.h"
#include "tools/cli.h"
#include "tools/hex.h"
#include "tools/keystore.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t node_stop;

static void on_signal(int sig)
{
	(void)sig;
	node_stop = 1;
}

void node_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

uint64_t node_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

const char *node_result_name(enum DriftResult r)
{
	switch (r) {
	case DRIFT_OK:
		return "ok";
	case DRIFT_ERR_INVALID_ADDR:
		return "invalid address";
	case DRIFT_ERR_UNKNOWN_PEER:
		return "unknown peer";
	case DRIFT_ERR_AUTH_FAILED:
		return "authentication failed";
	case DRIFT_ERR_PACKET_TOO_SHORT:
		return "packet too short";
	case DRIFT_ERR_SESSION_EXHAUSTED:
		return "session sequence space exhausted";
	case DRIFT_ERR_HANDSHAKE_EXHAUSTED:
		return "handshake retries exhausted";
	case DRIFT_ERR_QUEUE_FULL:
		return "send queue full";
	case DRIFT_ERR_TIMEOUT:
		return "timed out";
	case DRIFT_ERR_IO:
		return "I/O error";
	case DRIFT_ERR_INVALID_ARGUMENT:
		return "invalid argument";
	case DRIFT_ERR_INTERNAL:
		return "internal error";
	}
	return "unknown error";
}

static bool probe_bind(const char *cmd, const char *bind_addr)
{
	int family, fd = udp_socket_open(bind_addr, &family);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	if (fd == -EINVAL)
		cli_error(cmd,
			  "bind address \"%s\" is not HOST:PORT (e.g. 0.0.0.0:9000 or [::]:9000)",
			  bind_addr);
	else if (fd == -EADDRINUSE)
		cli_error(cmd,
			  "cannot bind %s: the port is in use; choose another port or stop the "
			  "program using it (ss -ulpn)",
			  bind_addr);
	else if (fd == -EADDRNOTAVAIL)
		cli_error(cmd, "cannot bind %s: no local interface has that address", bind_addr);
	else if (fd == -EACCES)
		cli_error(cmd,
			  "cannot bind %s: permission denied (ports below 1024 need root or "
			  "CAP_NET_BIND_SERVICE)",
			  bind_addr);
	else
		cli_error(cmd, "cannot bind %s: %s", bind_addr, strerror(-fd));
	return false;
}

struct DriftTransport *node_open(const char *cmd, const char *bind_addr, const char *key_path,
				 bool is_ephemeral, uint8_t pub[32])
{
	char path_buf[KEYSTORE_PATH_BYTES], msg[KEYSTORE_MESSAGE_BYTES];
	struct keystore_report rep;
	struct DriftIdentity *id;
	struct DriftTransport *t = NULL;
	uint8_t secret[32];
	enum DriftResult r;

	if (!probe_bind(cmd, bind_addr))
		return NULL;
	if (is_ephemeral) {
		rng_bytes(secret, sizeof(secret));
	} else {
		if (!key_path) {
			if (keystore_default_path(path_buf, sizeof(path_buf), false) != 0) {
				cli_error(
					cmd,
					"no key file given and $HOME is not set; pass --key FILE");
				return NULL;
			}
			key_path = path_buf;
		}
		if (keystore_read(key_path, secret, &rep) != KEYSTORE_OK) {
			cli_error(cmd, "%s", keystore_describe(msg, sizeof(msg), key_path, &rep));
			if (rep.status == KEYSTORE_MISSING)
				fprintf(stderr,
					"%s: create one with `drift keygen --out %s`, or pass "
					"--ephemeral for a throwaway identity\n",
					cmd, key_path);
			return NULL;
		}
	}
	id = drift_identity_from_secret(secret);
	secret_wipe(secret, sizeof(secret));
	if (!id || drift_identity_public_key(id, pub) != DRIFT_OK) {
		drift_identity_free(id);
		cli_error(cmd, "could not initialise the crypto libraries");
		return NULL;
	}
	r = drift_transport_bind(bind_addr, id, &t);
	if (r != DRIFT_OK) {
		cli_error(cmd, "cannot start a transport on %s: %s", bind_addr,
			  node_result_name(r));
		return NULL;
	}
	return t;
}

enum {
	TICKET_BLOB_BYTES = 97,
};

bool node_ticket_load(const char *cmd, struct DriftTransport *t, const char *path)
{
	uint8_t blob[TICKET_BLOB_BYTES + 1];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	bool ok = false;

	if (fd < 0) {
		if (errno != ENOENT)
			fprintf(stderr,
				"%s: ticket file \"%s\": %s; starting with a full handshake\n", cmd,
				path, strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) ||
	    st.st_uid != geteuid()) {
		fprintf(stderr,
			"%s: ticket file \"%s\" is not a regular file of ours that only we may "
			"read (chown it, chmod 600 it); ignoring it\n",
			cmd, path);
		goto out_close;
	}
	n = read(fd, blob, sizeof(blob));
	if (n != TICKET_BLOB_BYTES) {
		fprintf(stderr,
			"%s: ticket file \"%s\" is not a %d-byte DRIFT ticket; ignoring it\n", cmd,
			path, TICKET_BLOB_BYTES);
		goto out_close;
	}
	if (drift_transport_import_ticket(t, blob) != DRIFT_OK) {
		fprintf(stderr,
			"%s: ticket in \"%s\" is expired or for another peer; starting with a "
			"full handshake\n",
			cmd, path);
		goto out_close;
	}
	ok = true;
out_close:
	secret_wipe(blob, sizeof(blob));
	close(fd);
	return ok;
}

bool node_ticket_save(const char *cmd, struct DriftTransport *t, const uint8_t pid[8],
		      const char *path, unsigned wait_ms)
{
	uint8_t blob[TICKET_BLOB_BYTES];
	char tmp[4096];
	int fd, err = 0;
	bool ok = false;

	for (unsigned waited = 0; drift_transport_export_ticket(t, pid, blob) != DRIFT_OK;
	     waited += 10) {
		struct timespec ts = {0, 10 * 1000000L};

		if (waited >= wait_ms) {
			fprintf(stderr,
				"%s: the peer sent no resumption ticket; \"%s\" not written\n", cmd,
				path);
			return false;
		}
		nanosleep(&ts, NULL);
	}
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		goto out_wipe;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot write ticket file \"%s\": %s\n", cmd, path,
			strerror(errno));
		goto out_wipe;
	}
	/* mkostemp creates 0600; a ticket holds a PSK and must stay that way. */
	if (write(fd, blob, sizeof(blob)) != (ssize_t)sizeof(blob))
		err = errno ? errno : EIO;
	else if (fsync(fd) != 0)
		err = errno;
	close(fd);
	if (!err && rename(tmp, path) != 0)
		err = errno;
	if (err) {
		fprintf(stderr, "%s: cannot write ticket file \"%s\": %s\n", cmd, path,
			strerror(err));
		unlink(tmp);
	}
	ok = !err;
out_wipe:
	secret_wipe(blob, sizeof(blob));
	return ok;
}

struct DriftTransport *node_dial(const char *cmd, const struct node_target *target,
				 const char *bind_addr, const char *key_path, bool is_ephemeral,
				 uint8_t pid[8])
{
	struct DriftTransport *t;
	uint8_t pub[32];

	if (!bind_addr)
		bind_addr = target->addr[0] == '[' ? "[::]:0" : "0.0.0.0:0";
	t = node_open(cmd, bind_addr, key_path, is_ephemeral, pub);
	if (!t)
		return NULL;
	if (drift_transport_add_peer(t, target->pub, target->addr, 1, pid) != DRIFT_OK) {
		cli_error(cmd, "cannot use the peer at %s: its key is our own key", target->addr);
		drift_transport_free(t);
		return NULL;
	}
	return t;
}

bool node_parse_busy_poll(const char *cmd, const char *text, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(text, &end, 10);

	if (*text < '0' || *text > '9' || *end || v > 1000000) {
		cli_error(cmd,
			  "--busy-poll \"%s\" is not a number of microseconds from 0 to 1000000",
			  text);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

bool node_parse_pubkey(const char *cmd, const char *what, const char *hex, uint8_t pub[32])
{
	struct hex_report rep;
	enum hex_error err = hex_decode(pub, 32, hex, strlen(hex), &rep);

	if (err == HEX_OK)
		return true;
	cli_error(cmd,
		  "%s \"%s\" is not a public key: %s (expected 64 hex digits, as printed by "
		  "`drift info` or `drift pubkey`)",
		  what, hex, hex_error_name(err));
	return false;
}

bool node_parse_target(const char *cmd, const char *text, struct node_target *out)
{
	const char *at = strchr(text, '@');
	char hex[80];
	size_t n;

	if (!at || (n = (size_t)(at - text)) >= sizeof(hex) ||
	    strlen(at + 1) >= sizeof(out->addr)) {
		cli_error(cmd,
			  "--to \"%s\" is not PUBKEY@HOST:PORT (e.g. 7b4e...3f13@10.0.0.2:9000)",
			  text);
		return false;
	}
	memcpy(hex, text, n);
	hex[n] = 0;
	if (!node_parse_pubkey(cmd, "--to", hex, out->pub))
		return false;
	strcpy(out->addr, at + 1);
	{
		struct net_addr a;

		if (!addr_parse(&a, out->addr, false) || a.port == 0) {
			cli_error(cmd,
				  "--to address \"%s\" is not HOST:PORT with a numeric IPv4 or "
				  "[IPv6] address and a port 1-65535",
				  out->addr);
			return false;
		}
	}
	return true;
}
