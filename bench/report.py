#!/usr/bin/env python3
"""Helpers for bench/run.sh.

    report.py check-token KIND URL CLIENT_ID CLIENT_SECRET
        One client_credentials request (client_secret_basic). KIND is `jwt` (access_token must be
        a three-part JWS; its alg is printed) or `opaque` (must be a short string without dots).
        Exits non-zero with the response on any failure.

    report.py table RESULTS_JSON OUT_MD
        Reads the collected results and writes the Markdown report (also printed to stdout).
        Exits 3 if BENCH_STRICT=1 and any target was missed.

    report.py flows-table FLOWS_JSON OUT_MD
        The report of `bench/run.sh flows` (refresh rotation, code flow, introspection, userinfo)
        from the collected bench/node/flows.mjs results, with issue 13's targets marked PASS/MISS.

    report.py scale-table SCALE_JSON OUT_MD
        The report of `bench/run.sh scale` (one vs two instances over one PostgreSQL).

    report.py pg-ticks DATABASE
        Prints PID:TICKS (CPU ticks, user + system) of PostgreSQL's background processes and of
        the backends and autovacuum workers of DATABASE, leaving out other databases' backends.
"""
import base64
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request


def check_token(kind, url, client_id, secret):
    cred = f"{urllib.parse.quote(client_id, safe='')}:{urllib.parse.quote(secret, safe='')}"
    req = urllib.request.Request(
        url,
        data=b"grant_type=client_credentials",
        headers={
            "Authorization": "Basic " + base64.b64encode(cred.encode()).decode(),
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status, body = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read()
    except OSError as e:
        sys.exit(f"check-token: POST {url} failed: {e}")
    if status != 200:
        sys.exit(f"check-token: POST {url} returned {status}: {body[:500]!r}")
    try:
        token = json.loads(body)["access_token"]
    except (ValueError, KeyError, TypeError):
        sys.exit(f"check-token: no access_token in response from {url}: {body[:500]!r}")
    parts = token.split(".")
    if kind == "jwt":
        if len(parts) != 3 or not all(parts[:2]):
            sys.exit(f"check-token: expected a JWT access token from {url}, got {token[:80]!r}")
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
        print(f"jwt alg={header.get('alg')} len={len(token)}")
    elif kind == "opaque":
        if len(parts) != 1 or not 16 <= len(token) <= 128:
            sys.exit(f"check-token: expected a short opaque access token from {url}, got {token[:80]!r}")
        print(f"opaque len={len(token)}")
    else:
        sys.exit(f"check-token: unknown kind {kind}")


def mb(kb):
    return kb / 1024.0


def fmt(x, digits=2):
    return "n/a" if x is None else f"{x:.{digits}f}"


def table(results_path, out_path):
    r = json.load(open(results_path))
    s = r["settings"]
    runs = r["runs"]
    keys = ["portcullis", "node_opaque", "node_jwt"]

    def median_run(rs):
        ordered = sorted(rs, key=lambda x: x["wrk"]["requests_per_sec"])
        return ordered[(len(ordered) - 1) // 2]

    targets = [median_run(runs[k]) for k in keys]

    def per_core(t):
        cores = t.get("server_cpu_cores") or 0
        return t["wrk"]["requests_per_sec"] / cores if cores else float("nan")

    def median(xs):
        xs = sorted(xs)
        n = len(xs)
        return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2

    # Throughput per server core, median over rounds: much less sensitive than req/s to other
    # jobs taking CPU away from a run.
    eff = {k: median([per_core(x) for x in runs[k]]) for k in keys}
    ours = targets[0]
    rows = []
    hdr = ("| target | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | non-200 | socket errors "
           "| idle RSS MB | RSS after load MB | start s | server CPU | wrk CPU | other CPU "
           "| req/s per server core |")
    rows.append(hdr)
    rows.append("|" + "---|" * hdr.count(" | ") + "---|")
    for t in targets:
        w = t["wrk"]
        lat = w["latency_ms"]
        se = sum(w["socket_errors"].values())
        rows.append(
            f"| {t['name']} | {w['requests_per_sec']:,.0f} | {lat['p50']:.2f} | {lat['p90']:.2f} "
            f"| {lat['p99']:.2f} | {lat['p99_9']:.2f} | {w['non_200']} | {se} "
            f"| {mb(t['idle_rss_kb']):.1f} | {mb(t['load_rss_kb']):.1f} | {fmt(t.get('start_s'), 3)} "
            f"| {fmt(t.get('server_cpu_cores'))} | {fmt(t.get('wrk_cpu_cores'))} "
            f"| {fmt(t.get('other_cpu_cores'))} | {per_core(t):,.0f} |"
        )

    all_runs = [x for k in keys for x in runs[k]]
    busiest = max(x.get("other_cpu_cores", 0) for x in all_runs)
    by = {t["key"]: t for t in targets}
    rps = {k: v["wrk"]["requests_per_sec"] for k, v in by.items()}
    ratio_opaque = rps["portcullis"] / rps["node_opaque"] if rps["node_opaque"] else float("inf")
    ratio_jwt = rps["portcullis"] / rps["node_jwt"] if rps["node_jwt"] else float("inf")
    ours_clean = all(x["wrk"]["non_200"] == 0 and sum(x["wrk"]["socket_errors"].values()) == 0
                     for x in runs["portcullis"])
    peers_clean = all(x["wrk"]["non_200"] == 0 for k in ("node_opaque", "node_jwt") for x in runs[k])

    p99 = ours["wrk"]["latency_ms"]["p99"]
    idle = mb(ours["idle_rss_kb"])
    start = ours["start_s"]
    conns = int(s["connections"])
    checks = [
        (f"req/s ≥ 5× node-oidc-provider (opaque): {ratio_opaque:.2f}×", ratio_opaque >= 5 and ours_clean),
        (f"req/s ≥ 10× node-oidc-provider (JWT): {ratio_jwt:.2f}×", ratio_jwt >= 10 and ours_clean),
        (f"p99 ≤ 5 ms at 32 connections: {p99:.2f} ms at {conns} connections"
         + ("" if conns == 32 else " (not the 32-connection setting: not comparable)"),
         p99 <= 5 and conns == 32 and ours_clean),
        (f"idle RSS ≤ 30 MB: {idle:.1f} MB", idle <= 30),
        (f"start to first served request ≤ 0.3 s: median {start:.3f} s over {r['start_runs']} restarts",
         start <= 0.3),
    ]

    m = r["machine"]
    lines = [
        "# Token endpoint benchmark: Portcullis vs node-oidc-provider",
        "",
        f"{r['date']} · Portcullis {r['portcullis_rev']} · oidc-provider {r['oidc_provider_version']} "
        f"· node {r['node_version']} · {r['wrk_version']}",
        "",
        "`POST …/token` with `grant_type=client_credentials` and `client_secret_basic`, "
        "same wrk settings for every target, one target loaded at a time on this machine "
        "(the other servers stay up, idle).",
        "",
        *rows,
        "",
        f"Ratios (req/s): **Portcullis / node opaque = {ratio_opaque:.2f}×**, "
        f"**Portcullis / node JWT = {ratio_jwt:.2f}×**",
        "",
        f"Per server core (req/s ÷ server CPU; steadier on a busy machine): Portcullis "
        f"{eff['portcullis']:,.0f}, node opaque {eff['node_opaque']:,.0f}, node JWT "
        f"{eff['node_jwt']:,.0f} → Portcullis / node opaque = {eff['portcullis'] / eff['node_opaque']:.2f}×, "
        f"Portcullis / node JWT = {eff['portcullis'] / eff['node_jwt']:.2f}×",
        "",
        "CPU columns: cores used during the measured run (CPU seconds / wall seconds) by the server "
        "process, by wrk, and by everything else on the machine (other jobs, hypervisor steal).",
        "",
    ]
    if r["rounds"] > 1:
        lines += [f"Median of {r['rounds']} rounds (each round measures every target once, in turn); "
                  "per round, req/s:", "",
                  "| round | Portcullis | node opaque | node JWT | ratio opaque | ratio JWT |",
                  "|---|---|---|---|---|---|"]
        for i in range(r["rounds"]):
            a, b, c = (runs[k][i]["wrk"]["requests_per_sec"] for k in keys)
            lines.append(f"| {i + 1} | {a:,.0f} | {b:,.0f} | {c:,.0f} | {a / b:.2f}× | {a / c:.2f}× |")
        lines.append("")
    if busiest > 0.3:
        lines += [f"**WARNING: other processes used up to {busiest:.2f} cores during a measured run; "
                  "the machine was busy, so treat these numbers as noisy and rerun.**", ""]
    lines += [
        "## Targets",
        "",
        *[f"- {'PASS' if ok else 'MISS'} {text}" for text, ok in checks],
        "",
    ]
    if not ours_clean:
        lines += ["**WARNING: Portcullis had failed requests during the run; its throughput "
                  "and latency checks are marked MISS.**", ""]
    if not peers_clean:
        lines += ["**WARNING: a node-oidc-provider run had non-200 responses; its req/s is not "
                  "a clean baseline.**", ""]
    lines += [
        "## Start-up and memory (Portcullis)",
        "",
        f"- first start (creates the SQLite database, runs migrations, generates keys): "
        f"{fmt(r.get('first_start_s'), 3)} s",
        f"- restarts on the migrated database: {', '.join(f'{x:.3f}' for x in r['start_samples'])} s "
        f"(median {start:.3f} s); start = process spawn until the first 200 from discovery",
        "- idle RSS = VmRSS about " + str(s["settle_s"]) + " s after start, before any token request; "
        "after load = VmRSS right after the measured run (peak VmHWM "
        f"{mb(ours['peak_rss_kb']):.1f} MB)",
        "",
        "## Machine and settings",
        "",
        f"- CPU: {m['cpu_model']} · nproc {m['nproc']} · {m['mem_total']} RAM · {m['kernel']}",
        f"- load average before: {m['load_before']} · after: {m['load_after']}",
        f"- wrk: `-t{s['threads']} -c{s['connections']} -d{s['duration']} --latency -s bench/token.lua`, "
        f"a warm-up run of {s['warmup']} (same -t/-c) before each target's first measured run",
        f"- DURATION={s['duration']} CONNECTIONS={s['connections']} THREADS={s['threads']} "
        f"WARMUP={s['warmup']} START_RUNS={r['start_runs']} ROUNDS={r['rounds']}",
        "- Portcullis: release build, SQLite, `PORTCULLIS_LOG=warn`, client from template `service` "
        "(ES256 JWT access tokens)",
        "- node-oidc-provider: one process, in-memory adapter; opaque = default access tokens; "
        "JWT = resourceIndicators with accessTokenFormat `jwt`, ES256",
        f"- wrk and the server share the same {m['nproc']} cores: server + wrk + other CPU is close "
        f"to {m['nproc']} when the machine is saturated.",
        "",
    ]
    text = "\n".join(lines)
    with open(out_path, "w") as f:
        f.write(text)
    print(text)
    if os.environ.get("BENCH_STRICT") == "1" and not all(ok for _, ok in checks):
        sys.exit(3)


def flows_table(results_path, out_path):
    r = json.load(open(results_path))
    s = r["settings"]
    m = r["machine"]
    T = r["targets"]
    keys = list(T)
    ops = s["ops"]

    def median_run(rs):
        ordered = sorted(rs, key=lambda x: x.get("iterations_per_sec", 0))
        return ordered[(len(ordered) - 1) // 2]

    run = {(k, op): median_run(T[k]["runs"][op]) for k in keys for op in ops}

    def unsupported(x):
        # A target that refused the operation outright (node in jwt mode: introspection and
        # userinfo); nothing was measured.
        return x.get("unsupported")

    def cores(x):
        c = x["cpu_cores"]
        return c["server"] + (c["db"] or 0)

    def per_core(x):
        return x["iterations_per_sec"] / cores(x) if cores(x) else float("nan")

    def div(a, b):
        return a / b if b else float("nan")

    def n(x, d=2):
        return "n/a" if x is None else f"{x:.{d}f}"

    def cpu_cells(x):
        c = x["cpu_cores"]
        return f"{c['server']:.2f} | {n(c['db'])} | {c['generator']:.2f} | {c['other']:.2f}"

    storage = {"sqlite": "SQLite", "postgres": "PostgreSQL", "memory": "in-memory adapter"}
    lines = [
        "# Flows benchmark: refresh-token rotation, the code flow, introspection and userinfo, "
        "Portcullis vs node-oidc-provider",
        "",
        f"{r['date']} · Portcullis {r['portcullis_rev']} · oidc-provider {r['oidc_provider_version']} "
        f"· node {r['node_version']} · undici {r['undici_version']}"
        + (f" · PostgreSQL {r['postgres_version']}" if r.get("postgres_version") else ""),
        "",
        f"{s['connections']} concurrent chains (one keep-alive connection each) on {s.get('sessions', 1)} "
        f"signed-in session{'s' if s.get('sessions', 1) != 1 else ''} of one user, {s['duration_s']} s "
        f"measured after {s['warmup_s']} s of warm-up, one target and operation at a time (the other "
        "servers stay up, idle); load generator `bench/node/flows.mjs`, for introspection and userinfo "
        "`wrk -t1` with `bench/resource.lua` and the tokens flows.mjs got. Latencies in ms, per request, "
        "as seen by the generator. CPU in cores (CPU seconds / wall seconds): the server process, "
        "PostgreSQL (every `postgres` process), the generator, everything else on the machine. "
        "Per core = operations/s ÷ (server + PostgreSQL CPU).",
        "",
    ]
    warn = []
    summary_at = len(lines)
    verdicts = []

    # Issue 13's targets, per operation: Portcullis's ops/s ≥ FACTOR × node-oidc-provider's best
    # mode (on each storage), per core ≥ PER_CORE × node's best per core, p99 ≤ P99 ms at 32
    # chains; no failure (and for refresh the rotation check passing).
    goals = {"refresh": (2, 1.5, 20), "code-flow": (2, 1.5, None), "introspect": (3, None, 5),
             "userinfo": (3, None, 5)}

    def rotation_ok(x):
        rc = x.get("rotation_check") or {}
        return bool(rc.get("rotates") and rc.get("family_revoked"))

    def target_lines(op, unit):
        factor, core_factor, p99_max = goals[op]
        lane = "iteration" if op == "code-flow" else op
        ours = [k for k in keys if not k.startswith("node")]
        peers = [k for k in keys if k.startswith("node") and not unsupported(run[(k, op)])]
        out = []
        for a in ours:
            xa = run[(a, op)]
            why = []
            failed = sum(x["failures"] for x in T[a]["runs"][op])
            if failed:
                why.append(f"{failed} failed requests")
            if op == "refresh" and not all(rotation_ok(x) for x in T[a]["runs"][op]):
                why.append("rotation check not passed")
            clean = not why
            cond = f" ({', '.join(why)})" if why else ""
            name = T[a]["name"]
            if peers:
                best = max(peers, key=lambda b: run[(b, op)]["iterations_per_sec"])
                xb = run[(best, op)]
                ratio = div(xa["iterations_per_sec"], xb["iterations_per_sec"])
                out.append((f"{name} {op}: {unit}/s ≥ {factor}× node-oidc-provider's best mode "
                            f"({T[best]['name']}, {xb['iterations_per_sec']:,.0f}/s): {ratio:.2f}×{cond}",
                            ratio >= factor and clean))
                if core_factor:
                    bestc = max(peers, key=lambda b: per_core(run[(b, op)]))
                    rc = div(per_core(xa), per_core(run[(bestc, op)]))
                    out.append((f"{name} {op}: per core (server + PostgreSQL CPU) ≥ {core_factor}× node's best "
                                f"({T[bestc]['name']}, {per_core(run[(bestc, op)]):,.0f}/s per core): {rc:.2f}×{cond}",
                                rc >= core_factor and clean))
            else:
                out.append((f"{name} {op}: {unit}/s ≥ {factor}× node-oidc-provider's best mode: no node-oidc-provider "
                            "target measured this operation in this run", False))
            if p99_max:
                p99 = xa["requests"][lane]["p99"]
                conns = int(s["connections"])
                out.append((f"{name} {op}: p99 ≤ {p99_max} ms at 32 chains: {n(p99)} ms at {conns} chains"
                            + ("" if conns == 32 else " (not the 32-chain setting: not comparable)") + cond,
                            p99 is not None and p99 <= p99_max and conns == 32 and clean))
        verdicts.extend(out)
        return [f"- {'PASS' if ok else 'MISS'} {text}" for text, ok in out]

    def op_section(op, title, what, unit):
        hdr = (f"| target | storage | {unit}/s | p50 | p90 | p99 | p99.9 | max | failures | server CPU "
               f"| PostgreSQL CPU | generator CPU | other CPU | {unit}/s per core | RSS after load MB |")
        out = [f"## {title}", "", what, "", hdr, "|" + "---|" * (hdr.count(" | ") + 1)]
        lane = "iteration" if op == "code-flow" else op
        refused = []
        for k in keys:
            x = run[(k, op)]
            if unsupported(x):
                refused.append((k, x))
                out.append(f"| {T[k]['name']} | {storage.get(T[k]['db'], T[k]['db'])} | not supported (below) "
                           + "| " * 12 + "|")
                continue
            lat = x["requests"][lane]
            out.append(
                f"| {T[k]['name']} | {storage.get(T[k]['db'], T[k]['db'])} | {x['iterations_per_sec']:,.0f} "
                f"| {n(lat['p50'])} | {n(lat['p90'])} | {n(lat['p99'])} | {n(lat['p99_9'])} | {n(lat['max'], 1)} "
                f"| {x['failures']} | {cpu_cells(x)} | {per_core(x):,.0f} "
                f"| {n((x.get('server_rss_kb') or 0) / 1024, 1)} |")
        out.append("")
        if op == "code-flow":
            out += ["Per request (same runs):", "",
                    "| target | request | p50 | p90 | p99 | p99.9 | max |", "|---|---|---|---|---|---|---|"]
            for k in keys:
                for req in ("authorize", "token"):
                    lat = run[(k, op)]["requests"][req]
                    out.append(f"| {T[k]['name']} | {'GET authorize (redirect with code)' if req == 'authorize' else 'POST token (code + PKCE)'} "
                               f"| {n(lat['p50'])} | {n(lat['p90'])} | {n(lat['p99'])} | {n(lat['p99_9'])} | {n(lat['max'], 1)} |")
            out.append("")
        for k, x in refused:
            fa = x.get("first_answer") or {}
            out += [f"{T[k]['name']}: not measured, it refuses the operation with this client's access tokens "
                    f"({(x.get('response') or {}).get('access_token')}); its answer to the first request: "
                    f"`{fa.get('status')} {fa.get('body')}`"
                    + (f" (WWW-Authenticate: `{fa['www_authenticate']}`)" if fa.get("www_authenticate") else ""), ""]
        ours = [k for k in keys if not k.startswith("node")]
        peers = [k for k in keys if k.startswith("node") and not unsupported(run[(k, op)])]
        for a in ours:
            for b in peers:
                xa, xb = run[(a, op)], run[(b, op)]
                out.append(f"- {T[a]['name']} / {T[b]['name']}: **{div(xa['iterations_per_sec'], xb['iterations_per_sec']):.2f}×** "
                           f"{unit}/s, {div(per_core(xa), per_core(xb)):.2f}× per core")
        if ours and peers:
            out.append("")
        if ours:
            out += [f"Targets (issue 13): {unit}/s ≥ {goals[op][0]}× node-oidc-provider's best mode"
                    + (f", per core ≥ {goals[op][1]}×" if goals[op][1] else "")
                    + (f", p99 ≤ {goals[op][2]} ms at 32 chains" if goals[op][2] else "")
                    + ", no failure" + (" and the rotation check passing" if op == "refresh" else "") + ":", "",
                    *target_lines(op, unit), ""]
        return out

    if "refresh" in ops:
        lines += op_section(
            "refresh", "Refresh-token rotation",
            "Each chain holds its own refresh token (from one code flow with its session) and sends `POST …/token` `grant_type=refresh_token` with the latest one; every answer must be 200 "
            "with a new refresh token.", "refreshes")
    if "code-flow" in ops:
        lines += op_section(
            "code-flow", "Code flow with an existing session",
            "One iteration: `GET` authorization endpoint with the session cookie, a fresh PKCE verifier "
            "(S256), state and nonce → 302/303 to the redirect URI with the code → `POST …/token` "
            "`grant_type=authorization_code` with `code_verifier` → 200 with access, refresh and ID "
            "token. Latency = the whole iteration.", "flows")
    if "introspect" in ops:
        lines += op_section(
            "introspect", "Token introspection",
            "One access token per chain (from one code flow with its session, scope `openid`); wrk "
            "(`bench/resource.lua`, one thread, one connection per chain) sends them in turn as `POST` "
            "introspection endpoint (RFC 7662, from discovery) `token=<access token>` "
            "`token_type_hint=access_token`, authenticated as the confidential client `rs` with HTTP Basic "
            "(client_secret_basic), as a resource server does on every request; every answer must be 200 "
            "JSON with `active: true`, the user's `sub` (the ID token's) and `client_id` `spa`.", "introspections")
    if "userinfo" in ops:
        lines += op_section(
            "userinfo", "UserInfo",
            "One access token per chain (from one code flow with its session, scope `openid profile "
            "email`); wrk (`bench/resource.lua`, as for introspection) sends them in turn as `GET` userinfo "
            "endpoint with `Authorization: Bearer <access token>`; every answer must be 200 JSON with the "
            "user's `sub`.", "userinfo requests")
    if verdicts:
        missed = sum(1 for _, ok in verdicts if not ok)
        lines[summary_at:summary_at] = [
            "## Targets (issue 13)", "",
            f"{len(verdicts) - missed} PASS, {missed} MISS (each operation's section says which and why):", "",
            *[f"- {'PASS' if ok else 'MISS'} {text}" for text, ok in verdicts], ""]

    if "refresh" in ops:
        lines += ["## Rotation check (before the load, on a separate session)", "",
                  "t0 → t1, then t0 again, then t1.", "",
                  "| target | client | first refresh | spent t0 again | t1 after that | result |",
                  "|---|---|---|---|---|---|"]
        for k in keys:
            rc = run[(k, "refresh")].get("rotation_check") or {}
            if not rc.get("rotates"):
                verdict = "**does not rotate**"
                warn.append(f"{T[k]['name']}: refresh tokens did not rotate")
            elif rc.get("family_revoked"):
                verdict = "rotates; reuse refused and the family revoked"
            elif rc.get("spent_token_again", "").endswith("same successor"):
                verdict = "rotates; reuse inside the reuse window gets the same successor"
            else:
                verdict = "rotates; **reuse not refused**"
            lines.append(f"| {T[k]['name']} | {rc.get('client_id')} | {rc.get('first_refresh')} "
                         f"| {rc.get('spent_token_again')} | {rc.get('successor_after_reuse')} | {verdict} |")
        lines.append("")

    lines += ["## Responses", "",
              "| target | operation | access token | refresh token | ID token | fields |", "|---|---|---|---|---|---|"]
    for k in keys:
        for op in ops:
            sh = run[(k, op)].get("response") or {}
            lines.append(f"| {T[k]['name']} | {op} | {sh.get('access_token')} | {sh.get('refresh_token')} "
                         f"| {sh.get('id_token')} | {sh.get('fields')} |")
    lines.append("")

    lines += ["## Over time", "",
              "Operations/s in the first and the last third of the measured run, and the slowest and "
              "fastest single second.", "",
              "| target | operation | first third /s | last third /s | slowest s | fastest s | idle RSS MB |",
              "|---|---|---|---|---|---|---|"]
    for k in keys:
        for op in ops:
            x = run[(k, op)]
            if unsupported(x):
                continue
            ps = x.get("per_second") or [0]
            a, b = x.get("first_third_per_sec"), x.get("last_third_per_sec")
            lines.append(f"| {T[k]['name']} | {op} | {n(a, 0)} | {n(b, 0)} | {min(ps):,} | {max(ps):,} "
                         f"| {n((T[k].get('idle_rss_kb') or 0) / 1024, 1)} |")
            if a and b and b < 0.8 * a:
                warn.append(f"{T[k]['name']} {op}: the last third ran {100 * (1 - b / a):.0f} % slower than the first")
    lines.append("")

    if s["rounds"] > 1:
        lines += [f"Median of {s['rounds']} rounds per target and operation; per round, operations/s:", "",
                  "| target | operation | " + " | ".join(f"round {i + 1}" for i in range(s["rounds"])) + " |",
                  "|---|---|" + "---|" * s["rounds"]]
        for k in keys:
            for op in ops:
                lines.append(f"| {T[k]['name']} | {op} | "
                             + " | ".join("not supported" if unsupported(x) else f"{x['iterations_per_sec']:,.0f}"
                                          for x in T[k]["runs"][op]) + " |")
        lines.append("")

    all_runs = [x for k in keys for op in ops for x in T[k]["runs"][op]]
    busiest = max((x["cpu_cores"]["other"] for x in all_runs if not unsupported(x)), default=0)
    if busiest > 0.3:
        warn.append(f"other processes used up to {busiest:.2f} cores during a measured run; the machine "
                    "was busy, so treat these numbers as noisy and rerun")
    for x in all_runs:
        if x["failures"]:
            warn.append(f"{x['name']} {x['op']}: {x['failures']} failed requests; first: `{x['first_failure']}`")
    if warn:
        lines += ["## Warnings", "", *[f"- **WARNING: {w}**" for w in warn], ""]

    lines += [
        "## Machine and settings",
        "",
        f"- CPU: {m['cpu_model']} · nproc {m['nproc']} · {m['mem_total']} RAM · {m['kernel']}",
        f"- load average before: {m['load_before']} · after: {m['load_after']}",
        f"- `bench/run.sh flows`: CONNECTIONS={s['connections']} SESSIONS={s.get('sessions', 1)} DURATION={s['duration_s']}s "
        f"WARMUP={s['warmup_s']}s ROUNDS={s['rounds']} FLOW_TARGETS=\"{' '.join(keys)}\" "
        f"FLOW_OPS=\"{' '.join(ops)}\"",
        "- Portcullis: release build, `PORTCULLIS_LOG=warn`; clients from template `spa` (public, PKCE), "
        "`--no-consent`, default 5 s reuse window (`spa-strict` with `--refresh-reuse-window 0` only for "
        "the rotation check); user signed in once through the login form (argon2id, not measured); "
        "PostgreSQL: a fresh database on the local server, dropped afterwards",
        "- node-oidc-provider: one process, in-memory adapter (nothing is persisted, unlike Portcullis), "
        "public client with PKCE, `issueRefreshToken` for every code, `rotateRefreshToken: true`; "
        "sign-in by an automatic interaction (no password, not measured); opaque = default access "
        "tokens, JWT = resourceIndicators with `accessTokenFormat: 'jwt'`, ES256",
        "- introspection: Portcullis's `rs` is a client from template `service` (confidential, "
        "client_secret_basic); node's `rs` is a confidential client (client_secret_basic, no grant of its own) "
        "with `features.introspection` on and an `allowedPolicy` letting a confidential client introspect "
        "any client's token. In jwt mode node-oidc-provider's spa tokens are JWTs for its resource, which it "
        "leaves to the resource server to verify: its introspection refuses any JWT (`unsupported_token_type`) "
        "and its userinfo does not find them (`invalid_token`; it refuses tokens with an audience anyway), so "
        "node jwt is recorded as not supported for both and the ratios compare with node opaque; node's `findAccount` answers sub, "
        "preferred_username, email and email_verified from memory (what Portcullis's userinfo answers for "
        "its user, created with an email)",
        f"- generator, servers and PostgreSQL share the same {m['nproc']} cores.",
        "",
    ]
    text = "\n".join(lines)
    with open(out_path, "w") as f:
        f.write(text)
    print(text)


def pg_ticks(database):
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() != "postgres":
                    continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                title = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        words = title.split()
        if "autovacuum worker" in title:
            if database not in words:
                continue
        # A client backend's title is "postgres: [cluster: ]user database host(port) state".
        elif any(w.endswith(")") and "(" in w or w == "[local]" for w in words) and database not in words:
            continue
        out.append(f"{pid}:{int(fields[11]) + int(fields[12])}")
    print(" ".join(out))


def scale_table(results_path, out_path):
    r = json.load(open(results_path))
    s = r["settings"]
    m = r["machine"]
    setups = s["setups"]

    def norm(op, x):
        """One run as: rps, p50, p99, per-instance (rps, p99), CPU, failures."""
        if op == "cc":
            w = x["wrk"]
            c = x["cpu_cores"]
            servers = [c["node"]] if x["setup"] == "node" else [c["a"], c["b"]]
            return {
                "rps": sum(y["requests_per_sec"] for y in w),
                "p50": max(y["latency_ms"]["p50"] for y in w),
                "p99": max(y["latency_ms"]["p99"] for y in w),
                "per_instance": [(y["requests_per_sec"], y["latency_ms"]["p99"]) for y in w],
                "servers": servers, "db": c["db"], "generator": c["generator"], "other": c["other"],
                "failures": sum(y["non_200"] + sum(y["socket_errors"].values()) for y in w),
                "first_failure": next((f"{y['first_bad_status']} {y['first_bad_body']}" for y in w if y["non_200"]), None),
            }
        lat = x["requests"]["refresh"]
        c = x["cpu_cores"]
        return {
            "rps": x["iterations_per_sec"], "p50": lat["p50"], "p99": lat["p99"], "per_instance": [],
            "servers": c.get("servers") or [c["server"]], "db": c["db"], "generator": c["generator"],
            "other": c["other"], "failures": x["failures"], "first_failure": x.get("first_failure"),
            "rotation_check": x.get("rotation_check"),
        }

    runs = {op: {st: [norm(op, x) for x in r["runs"][op][st]] for st in setups} for op in ("cc", "refresh")}

    def med(rs):
        return sorted(rs, key=lambda x: x["rps"])[(len(rs) - 1) // 2]

    best = {op: {st: med(runs[op][st]) for st in setups} for op in runs}

    def n(x, d=2):
        return "n/a" if x is None else f"{x:.{d}f}"

    def server_cpu(st, x):
        sv = x["servers"]
        if st == "node":
            return f"{sv[0]:.2f}"
        if st == "one":
            return f"A {sv[0]:.2f}" + (f" (B idle: {sv[1]:.2f})" if len(sv) > 1 else "")
        return f"A {sv[0]:.2f} + B {sv[1]:.2f}"

    def per_core(x):
        cores = sum(x["servers"]) + (x["db"] or 0)
        return x["rps"] / cores if cores else float("nan")

    spread = ("each chain's successive refreshes alternate between A and B (chain i starts on instance "
              "i mod 2), so every rotation presents a refresh token the other instance issued"
              if s["spread"] == "request" else "chain i stays on instance i mod 2 (half the chains on each)")
    half = s["connections"] // 2
    label = {
        "cc": {"one": "one instance", "two": f"two instances ({half} + {half} connections)",
               "node": "node-oidc-provider (jwt), one process"},
        "refresh": {"one": "one instance",
                    "two": "two instances (" + ("alternating per request" if s["spread"] == "request"
                                                else f"{half} + {half} chains") + ")",
                    "node": "node-oidc-provider (jwt), one process"},
    }
    title = {"cc": "client_credentials", "refresh": "refresh-token rotation"}
    lines = [
        "# Scale-out benchmark: one vs two Portcullis instances over one PostgreSQL",
        "",
        f"{r['date']} · Portcullis {r['portcullis_rev']} · PostgreSQL {r['postgres_version']} "
        f"· oidc-provider {r['oidc_provider_version']} · node {r['node_version']} · {r['wrk_version']}",
        "",
        f"**Caveat: one {m['nproc']}-core machine.** Both instances, the load generator and PostgreSQL "
        "share the same cores, so a second instance adds no CPU: these figures show what running two "
        "instances over one shared database costs (or not), not how throughput grows with machines.",
        "",
        f"client_credentials: wrk `-t{s['threads']} -c{s['connections']}` against one instance; against two, "
        f"two wrk processes at once, `-t{max(1, s['threads'] // 2)} -c{s['connections'] // 2}` each, rates summed, "
        "p50/p99 the higher of the two processes' (an upper bound on the combined percentile). "
        f"Refresh rotation: `bench/node/flows.mjs`, {s['connections']} chains, one keep-alive connection per "
        f"chain and instance, exact percentiles over all requests; with two instances {spread}. "
        f"{s['duration_s']} s measured after {s['warmup_s']} s of warm-up (first round). CPU in cores "
        "(CPU seconds / wall seconds); PostgreSQL = its background processes and this database's "
        "backends; per core = req/s ÷ (server + PostgreSQL CPU). When other jobs use the machine, raw req/s "
        "moves with the CPU share the servers win from them (two processes win more than one); the per-core "
        "figure and its ratio barely move, so compare those then.",
        "",
        "| operation | setup | req/s | p50 ms | p99 ms | two / one | server CPU | PostgreSQL CPU "
        "| generator CPU | other CPU | req/s per core | failures |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    warn = []
    for op in ("cc", "refresh"):
        for st in setups:
            x = best[op][st]
            ratio = ""
            if st == "two" and "one" in setups:
                o = best[op]["one"]
                ratio = (f"**{x['rps'] / o['rps']:.2f}×** req/s, {x['p99'] / o['p99']:.2f}× p99, "
                         f"{per_core(x) / per_core(o):.2f}× per core")
            lines.append(
                f"| {title[op]} | {label[op][st]} | {x['rps']:,.0f} | {n(x['p50'])} | {n(x['p99'])} | {ratio} "
                f"| {server_cpu(st, x)} | {n(x['db'])} | {x['generator']:.2f} | {x['other']:.2f} "
                f"| {per_core(x):,.0f} | {x['failures']} |")
    lines.append("")
    two = best["cc"].get("two")
    if two and len(two["per_instance"]) == 2:
        (ra, pa), (rb, pb) = two["per_instance"]
        lines += [f"client_credentials on two instances, per instance: A {ra:,.0f} req/s (p99 {pa:.2f} ms), "
                  f"B {rb:,.0f} req/s (p99 {pb:.2f} ms).", ""]

    lines += ["## Rotation check (before each refresh run, on a separate session)", "",
              "t0 → t1, then t0 again, then t1 (client `spa-strict`, no reuse window, on Portcullis); with "
              "two instances t0 → t1 on A, t0 again on B, t1 on A.", "",
              "| setup | first refresh | spent t0 again | t1 after that |", "|---|---|---|---|"]
    for st in setups:
        rc = best["refresh"][st].get("rotation_check") or {}
        lines.append(f"| {label['refresh'][st]} | {rc.get('first_refresh')} | "
                     f"{rc.get('spent_token_again')} | {rc.get('successor_after_reuse')} |")
        if not rc.get("family_revoked"):
            warn.append(f"{st}: the rotation check did not see the reuse refused and the family revoked")
    lines.append("")

    if s["rounds"] > 1:
        lines += [f"Median of {s['rounds']} rounds (interleaved: one, two, node in odd rounds, two, one, node in "
                  "even ones); req/s per round:", "",
                  "| operation | setup | " + " | ".join(f"round {i + 1}" for i in range(s["rounds"])) + " |",
                  "|---|---|" + "---|" * s["rounds"]]
        for op in runs:
            for st in setups:
                lines.append(f"| {title[op]} | {st} | " + " | ".join(f"{x['rps']:,.0f}" for x in runs[op][st]) + " |")
        lines.append("")

    all_runs = [x for op in runs for st in setups for x in runs[op][st]]
    busiest = max(x["other"] for x in all_runs)
    if busiest > 0.3:
        warn.append(f"other processes used up to {busiest:.2f} cores during a measured run; the machine "
                    "was busy, so treat these numbers as noisy (compare per core) and rerun")
    for op in runs:
        for st in setups:
            for x in runs[op][st]:
                if x["failures"]:
                    warn.append(f"{title[op]} {st}: {x['failures']} failed requests; first: `{x['first_failure']}`")
    if warn:
        lines += ["## Warnings", "", *[f"- **WARNING: {w}**" for w in warn], ""]

    lines += [
        "## Machine and settings",
        "",
        f"- CPU: {m['cpu_model']} · nproc {m['nproc']} · {m['mem_total']} RAM · {m['kernel']}",
        f"- load average before: {m['load_before']} · after: {m['load_after']}",
        f"- `bench/run.sh scale`: CONNECTIONS={s['connections']} THREADS={s['threads']} DURATION={s['duration_s']}s "
        f"WARMUP={s['warmup_s']}s ROUNDS={s['rounds']} SCALE_SPREAD={s['spread']}",
        "- Portcullis: release build, `PORTCULLIS_LOG=warn`, both instances on one fresh PostgreSQL "
        "database (dropped afterwards) with the same master key file (`PORTCULLIS_MASTER_KEY_FILE`); "
        "instance B is started after the first round's one-instance runs and idles during later ones; "
        "client_credentials with a `service` client (ES256 JWT), refresh with a `spa` client (default "
        "5 s reuse window, RS256 ID token on every refresh)",
        "- node-oidc-provider: one process, in-memory adapter (nothing is persisted); it has no shared "
        "store to run a second process over, so it appears once, for reference",
        "",
    ]
    text = "\n".join(lines)
    with open(out_path, "w") as f:
        f.write(text)
    print(text)


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "check-token" and len(sys.argv) == 6:
        check_token(*sys.argv[2:])
    elif len(sys.argv) >= 2 and sys.argv[1] == "table" and len(sys.argv) == 4:
        table(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 2 and sys.argv[1] == "flows-table" and len(sys.argv) == 4:
        flows_table(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 2 and sys.argv[1] == "scale-table" and len(sys.argv) == 4:
        scale_table(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 2 and sys.argv[1] == "pg-ticks" and len(sys.argv) == 3:
        pg_ticks(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
