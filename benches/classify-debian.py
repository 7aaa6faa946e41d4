#!/usr/bin/env python3
"""Compares pgp-pkg's validity with gpg's, binding by binding, and names the
cause of every binding pgp-pkg ranks below gpg (docs/trust-model.md,
"Deliberate differences"). Used by benches/debian-keyring.sh.

usage: classify-debian.py GPG_LIST_SIGS_COLONS PGP_PKG_KEY_LIST_JSON ROOTS_FILE

GPG_LIST_SIGS_COLONS is `gpg --with-colons --list-sigs` after --check-trustdb;
ROOTS_FILE is the owner trust given to both (gpg's export format). Each
binding below gpg is traced to the certifications gpg could have counted:
those by keys with owner trust full or ultimate that gpg holds valid.
"""

import collections
import json
import sys

RANK = {"never": 0, "unknown": 1, "marginal": 2, "full": 3, "ultimate": 4}
LETTER = {"u": "ultimate", "f": "full", "m": "marginal", "n": "never"}
WEAK_HASHES = {"1", "2", "3"}  # MD5, SHA-1, RIPEMD-160


def parse_gpg(path):
    keys = {}  # fpr -> dict
    key = None
    uid = None
    want_fpr = False
    for line in open(path, encoding="utf-8", errors="replace"):
        f = line.rstrip("\n").split(":")
        kind = f[0]
        if kind == "pub":
            key = {"keyid": f[4], "algo": f[3], "bits": int(f[2] or 0), "created": int(f[5] or 0),
                   "uids": {}, "self_sig_times": [], "subkeyids": set()}
            uid = None
            want_fpr = True
        elif kind == "fpr" and want_fpr:
            keys[f[9]] = key
            key["fpr"] = f[9]
            want_fpr = False
        elif kind == "sub":
            key["subkeyids"].add(f[4])
            uid = None
        elif kind == "uid":
            name = f[9].replace("\\x3a", ":")
            uid = {"validity": LETTER.get(f[1], "unknown"), "self": [], "certs": []}
            key["uids"][name] = uid
        elif kind == "sig" and uid is not None:
            sig = {"issuer": f[4], "created": int(f[5] or 0), "class": f[10][:2], "hash": f[15] if len(f) > 15 else ""}
            if f[4] == key["keyid"] or f[4] in key["subkeyids"]:
                uid["self"].append(sig)
                key["self_sig_times"].append(sig["created"])
            else:
                uid["certs"].append(sig)
    return keys


def main():
    gpg = parse_gpg(sys.argv[1])
    ours = {(c["fingerprint"], u["user_id"]): u["validity"]
            for c in json.load(open(sys.argv[2])) for u in c["user_ids"]}
    trusted = {}
    for line in open(sys.argv[3]):
        if line.strip() and not line.startswith("#"):
            fpr, level = line.split(":")[:2]
            if level in ("5", "6") and fpr in gpg:
                trusted[gpg[fpr]["keyid"]] = gpg[fpr]
    ours_key = {c["fingerprint"]: c["validity"] for c in json.load(open(sys.argv[2]))}
    root_keyids = {k: v for k, v in trusted.items()
                   if any(u["validity"] in ("full", "ultimate") for u in v["uids"].values())}

    compared = higher = 0
    causes = collections.Counter()
    examples = {}
    pairs = collections.Counter()
    for fpr, key in gpg.items():
        for name, uid in key["uids"].items():
            theirs = uid["validity"]
            mine = ours.get((fpr, name), "unknown")
            compared += 1
            pairs[(theirs, mine)] += 1
            if RANK[mine] > RANK[theirs]:
                higher += 1
            if RANK[mine] >= RANK[theirs]:
                continue
            cause = classify(key, uid, root_keyids, ours_key)
            causes[cause] += 1
            examples.setdefault(cause, f"{fpr} {name!r}: gpg {theirs}, pgp-pkg {mine}")
    print(f"bindings compared: {compared}; pgp-pkg above gpg: {higher}; below gpg: {sum(causes.values())}")
    for cause, n in causes.most_common():
        print(f"  {n:5}  {cause}\n         e.g. {examples[cause]}")
    return 1 if higher else 0


def classify(key, uid, root_keyids, ours_key):
    if key["algo"] == "1" and key["bits"] > 4096:
        return "RSA key above 4096 bits (this build cannot check it)"
    if uid["self"] and all(s["hash"] in WEAK_HASHES for s in uid["self"]):
        return "user ID with only SHA-1/RIPEMD-160/MD5 self-signatures"
    by_roots = [c for c in uid["certs"] if c["issuer"] in root_keyids and c["class"] in {"10", "11", "12", "13"}]
    if not by_roots:
        return "not certified by any valid introducer (UNEXPLAINED)"
    if all(c["hash"] in WEAK_HASHES for c in by_roots):
        return "certified by the roots only with SHA-1 (or weaker)"
    usable = [c for c in by_roots if c["hash"] not in WEAK_HASHES]
    timely = [c for c in usable if c["created"] >= min(root_keyids[c["issuer"]]["self_sig_times"] or [0])]
    if not timely:
        return "certification older than the certifier's oldest surviving self-signature"
    if all(RANK[ours_key.get(root_keyids[c["issuer"]]["fpr"], "unknown")] < RANK["full"] for c in timely):
        return "its introducers are not fully valid in pgp-pkg (for the causes above)"
    if not uid["self"]:
        return "user ID without a self-signature"
    return "UNEXPLAINED"


if __name__ == "__main__":
    sys.exit(main())
