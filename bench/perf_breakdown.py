#!/usr/bin/env python3
"""Reads `perf report --no-children --sort dso,sym --stdio -q -g none` on stdin and prints a
Markdown breakdown of the samples: by category (crypto, SQL, HTTP, async runtime, allocation,
JSON, kernel, other) and the heaviest symbols. Used by bench/flows.sh with PERF=1.

    perf_breakdown.py TITLE
"""
import re
import sys

# First match wins; matched against "dso symbol" in lower case.
CATEGORIES = [
    ("kernel", [r"\[kernel", r"\[k\]"]),
    # P-256 first: its Montgomery arithmetic (ecp_nistz256_*_mont) would otherwise count as RSA.
    ("crypto: ECDSA / hashes / HMAC", [r"p256", r"nistz", r"ecdsa", r"ec_", r"ecp_", r"sha256", r"sha512", r"sha1_", r"hmac", r"blake", r"argon", r"chacha", r"aes", r"gcm"]),
    ("crypto: RSA / bignum", [r"rsa", r"bn_", r"bignum", r"mont", r"mulx", r"sqrx"]),
    ("crypto: other aws-lc", [r"aws_lc", r"ring_core"]),
    ("SQL: SQLite", [r"sqlite3", r"libsqlite"]),
    ("SQL: sqlx / PostgreSQL protocol", [r"sqlx", r"postgres"]),
    ("HTTP: hyper / axum / tower", [r"hyper", r"axum", r"tower", r"\bhttp::", r"httparse", r"h2::"]),
    ("async runtime: tokio / futures / flume", [r"tokio", r"futures", r"flume", r"parking_lot", r"crossbeam", r"event_listener"]),
    ("allocation / memcpy", [r"malloc", r"free", r"realloc", r"memcpy", r"memmove", r"memset", r"_int_", r"alloc::", r"__rust_alloc", r"__rust_dealloc", r"cfree", r"tcache"]),
    ("JSON / serde / base64", [r"serde", r"base64", r"json", r"itoa", r"ryu"]),
    ("logging / tracing", [r"tracing"]),
    ("libc (other)", [r"libc\.so", r"libc-"]),
]

LINE = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)$")


def category(dso, kind, sym):
    text = f"{dso} {sym}".lower()
    if kind == "k":
        return "kernel"
    for name, patterns in CATEGORIES:
        if any(re.search(p, text) for p in patterns):
            return name
    return "other (Portcullis, std, …)"


def main():
    title = sys.argv[1] if len(sys.argv) > 1 else "profile"
    cats, syms = {}, []
    for line in sys.stdin:
        m = LINE.match(line)
        if not m:
            continue
        pct, dso, kind, sym = float(m[1]), m[2], m[3], m[4].strip()
        c = category(dso, kind, sym)
        cats[c] = cats.get(c, 0.0) + pct
        syms.append((pct, c, sym))
    print(f"## {title}\n")
    print("| category | share of server CPU |")
    print("|---|---|")
    for c, pct in sorted(cats.items(), key=lambda kv: -kv[1]):
        print(f"| {c} | {pct:.1f} % |")
    print("\nHeaviest symbols:\n")
    print("| share | category | symbol |")
    print("|---|---|---|")
    for pct, c, sym in sorted(syms, reverse=True)[:15]:
        print(f"| {pct:.1f} % | {c} | `{sym[:90]}` |")
    print()


if __name__ == "__main__":
    main()
