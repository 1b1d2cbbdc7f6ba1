/* SPDX-License-Identifier: MIT */
/*
 * driftd's control socket protocol, shared by driftd (control/ctl.c), the
 * application library (control/api_app.c) and `drift show`.
 *
 * Transport: a SOCK_SEQPACKET unix socket at <run_dir>/<name>/ctl (0600,
 * root-owned unless driftd runs as another user). One request per message,
 * a line of text: a verb and space-separated arguments. Each reply is one or
 * more messages, each a line; the last line of every reply starts with
 * "ok" or "err ". Multi-line replies (show, dump) send data lines first and
 * end with "ok". An "err" line names the problem and the fix.
 *
 *   attach                      -> "ok channel=K workers=N" with the app<K> fd (SCM_RIGHTS)
 *                                  The channel belongs to the caller's pid (SO_PEERCRED)
 *                                  until "detach" or that pid exits.
 *   detach
 *   listen any|known            -> sessions started by peers go to this connection's channel;
 *                                  "any" also accepts unknown identities
 *   peer PUBHEX [ADDR]          -> registers a peer (responder role when ADDR is absent)
 *   connect PUBHEX ADDR [TIMEOUT_MS]
 *                               -> registers an initiator peer, handshakes, replies when up:
 *                                  "ok slot=S gen=G peer=IDHEX" (or "err ..." on failure/timeout)
 *   rekey PEERHEX | close PEERHEX
 *   forward PEERHEX_A PEERHEX_B -> bridge: DATA from A is re-sealed and sent to B and back,
 *                                  in the dataplane (both sessions may still be down)
 *   unforward PEERHEX           -> ends the pairs the peer is part of
 *   show                        -> human-readable lines, then "ok"
 *   dump                        -> tab-separated lines (see docs/driftd.md), then "ok"
 *   ping                        -> "ok driftd PID"
 *   vpn-peer PUBHEX ADDR|- KEEPALIVE_S
 *                               -> driftd --tun only (drift-vpn): a configured peer whose
 *                                  sessions carry the TUN; with ADDR it is dialled until up
 *                                  (again after any loss), and pinged every KEEPALIVE_S > 0
 *
 * Addresses use addr_parse() syntax: a.b.c.d:port or [v6]:port.
 */
#ifndef DRIFT_CONTROL_CTL_PROTO_H
#define DRIFT_CONTROL_CTL_PROTO_H

enum ctl_proto_limits {
	CTL_MSG_MAX_BYTES = 4096, /* one request or one reply line */
};

#define CTL_DEFAULT_RUN_DIR "/run/drift"
#define CTL_DEFAULT_NAME    "drift"
#define CTL_SOCKET_FILE	    "ctl"
#define CTL_TABLE_FILE	    "table"
#define CTL_APP_FILE_FMT    "app%u"

#endif
