/* SPDX-License-Identifier: MIT */
/*
 * drift-vpn show [NAME] [dump]: what `wg show` prints, read from the
 * session table drift-dp shares (per-peer counters, current endpoint,
 * latest handshake) and the files `up` left (configured peers, AllowedIPs,
 * keepalive). It needs neither daemon to answer, so it works while
 * driftd restarts.
 */
#include "tools/vpn_cmds.h"

#include "control/ctl_proto.h"
#include "dataplane/session_table.h"
#include "internal/atomics.h"
#include "tools/hex.h"
#include "tools/vpn_common.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

struct peer_view {
	bool is_up;
	struct net_addr addr;
	uint64_t handshake_unix_ms;
	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets, drops;
};

static void view_of(struct shm_table_header *h, const uint8_t pub[WIRE_KEY_BYTES],
		    struct peer_view *v)
{
	memset(v, 0, sizeof(*v));
	for (uint32_t i = 0; i < h->slot_count; i++) {
		struct shm_slot *s = shm_slot_at(h, i);

		if (read_once((_Atomic uint32_t *)&s->state) != SHM_SLOT_ACTIVE ||
		    memcmp(s->peer_pub, pub, WIRE_KEY_BYTES) != 0)
			continue;
		v->is_up = true;
		v->addr = s->addr;
		v->handshake_unix_ms = s->last_handshake_unix_ms;
		for (uint32_t w = 0; w < h->worker_count; w++) {
			const struct shm_slot_stats *ss = shm_slot_stats_at(h, w, i);

			v->rx_bytes += ss->rx_bytes;
			v->tx_bytes += ss->tx_bytes;
			v->rx_packets += ss->rx_packets;
			v->tx_packets += ss->tx_packets;
			v->drops += ss->drops;
		}
		return;
	}
}

/* The AllowedIPs of a peer, from the tun-peers file (the part after the key). */
static void allowed_of(const char *name, const char *hex, char *out, size_t cap)
{
	char path[VPN_PATH_BYTES], line[8192];
	FILE *f;

	snprintf(out, cap, "(none)");
	vpn_path(path, sizeof(path), name, "tun-peers");
	if (!(f = fopen(path, "re")))
		return;
	while (fgets(line, sizeof(line), f)) {
		char *rest;

		line[strcspn(line, "\n")] = 0;
		if (strncmp(line, "peer ", 5) != 0 || strncmp(line + 5, hex, 64) != 0)
			continue;
		rest = line + 5 + 64;
		while (*rest == ' ')
			rest++;
		if (*rest) {
			snprintf(out, cap, "%.*s", (int)cap - 1, rest);
			for (char *c = out; *c; c++)
				if (*c == ' ')
					*c = ',';
		}
		break;
	}
	fclose(f);
}

static void human_bytes(char *buf, size_t cap, uint64_t b)
{
	static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, cap, u ? "%.2f %s" : "%.0f %s", v, units[u]);
}

static uint64_t unix_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

static int show_one(const char *name, bool is_dump)
{
	struct vpn_state *st = calloc(1, sizeof(*st));
	struct session_table t = {0};
	char path[VPN_PATH_BYTES], self[2 * WIRE_KEY_BYTES + 1];
	struct shm_table_header *h;
	int rc;

	if (!st)
		return 1;
	if ((rc = vpn_state_read(name, st)) != 0) {
		fprintf(stderr, "drift-vpn: %s is not up (%s)\n", name,
			rc == -ENOENT ? "no state file: `drift-vpn up` it" : "damaged state file");
		free(st);
		return 1;
	}
	vpn_path(path, sizeof(path), name, CTL_TABLE_FILE);
	if ((rc = session_table_attach(&t, path)) != 0) {
		fprintf(stderr,
			"drift-vpn: cannot read %s: %s (is drift-dp running? `drift-vpn "
			"down %s` and up again)\n",
			path, strerror(-rc), name);
		free(st);
		return 1;
	}
	h = t.hdr;
	hex_encode(self, st->self_pub, WIRE_KEY_BYTES);
	if (is_dump)
		printf("%s\t%s\t%u\t%s\t%s\n", name, self, st->listen_port, h->port_type,
		       vpn_pid_is(st->driftd_pid, "driftd") ? "driftd-up" : "driftd-down");
	else
		printf("interface: %s\n  public key: %s\n  listening port: %u\n  port type: %s "
		       "(%s)\n  daemons: drift-dp %d%s, driftd %d%s\n",
		       name, self, st->listen_port, h->port_type, h->port_why, (int)st->dp_pid,
		       vpn_pid_is(st->dp_pid, "drift-dp") ? "" : " (not running!)",
		       (int)st->driftd_pid,
		       vpn_pid_is(st->driftd_pid, "driftd") ? "" : " (not running!)");
	for (uint32_t i = 0; i < st->n_peers; i++) {
		char hex[2 * WIRE_KEY_BYTES + 1], allowed[4096], ep[64], rx[32], tx[32];
		struct peer_view v;
		uint64_t now = unix_ms();

		hex_encode(hex, st->peers[i].pub, WIRE_KEY_BYTES);
		view_of(h, st->peers[i].pub, &v);
		allowed_of(name, hex, allowed, sizeof(allowed));
		if (v.is_up && addr_is_set(&v.addr))
			addr_format(ep, sizeof(ep), &v.addr);
		else
			snprintf(ep, sizeof(ep), "%s",
				 strcmp(st->peers[i].endpoint, "-") ? st->peers[i].endpoint
								    : "(none)");
		if (is_dump) {
			printf("%s\t%s\t%s\t%llu\t%llu\t%llu\t%u\t%llu\t%llu\t%llu\n", hex, ep,
			       allowed, (unsigned long long)(v.handshake_unix_ms / 1000),
			       (unsigned long long)v.rx_bytes, (unsigned long long)v.tx_bytes,
			       st->peers[i].keepalive_s, (unsigned long long)v.rx_packets,
			       (unsigned long long)v.tx_packets, (unsigned long long)v.drops);
			continue;
		}
		human_bytes(rx, sizeof(rx), v.rx_bytes);
		human_bytes(tx, sizeof(tx), v.tx_bytes);
		printf("\npeer: %s\n  endpoint: %s\n  allowed ips: %s\n", hex, ep, allowed);
		if (v.is_up && v.handshake_unix_ms)
			printf("  latest handshake: %llu seconds ago\n",
			       (unsigned long long)(now > v.handshake_unix_ms
							    ? (now - v.handshake_unix_ms) / 1000
							    : 0));
		else
			printf("  latest handshake: (none: no session)\n");
		printf("  transfer: %s received, %s sent (%llu / %llu packets, %llu dropped)\n", rx,
		       tx, (unsigned long long)v.rx_packets, (unsigned long long)v.tx_packets,
		       (unsigned long long)v.drops);
		if (st->peers[i].keepalive_s)
			printf("  persistent keepalive: every %u seconds\n",
			       st->peers[i].keepalive_s);
	}
	session_table_detach(&t);
	free(st);
	return 0;
}

int vpn_cmd_show(const char *name, bool is_dump)
{
	char path[VPN_PATH_BYTES];
	struct dirent *e;
	DIR *dh;
	int rc = 0, shown = 0;

	if (name)
		return show_one(name, is_dump);
	dh = opendir(vpn_run_dir());
	while (dh && (e = readdir(dh)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		vpn_path(path, sizeof(path), e->d_name, "vpn.state");
		if (access(path, F_OK) != 0)
			continue;
		if (shown++ && !is_dump)
			printf("\n");
		rc |= show_one(e->d_name, is_dump);
	}
	if (dh)
		closedir(dh);
	if (!shown && !is_dump)
		printf("no drift-vpn interface is up (in %s)\n", vpn_run_dir());
	return rc;
}
