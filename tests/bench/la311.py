#!/usr/bin/env python3
"""Maps five days of Los Angeles 311 requests (../shared/data/la-311-*.csv)
onto a gridcase city and a timeline of what its people do, for bench_replay.

  district  la (the city), time zone America/Los_Angeles, round the clock
  street    APC, an area planning commission (7)
  community an APC's council district (APC and CD, as the rows pair them)
  grid      NC, a neighbourhood council (97), under the APC and CD its rows
            name most; rows without an NC go to their community's "nonc" grid
  department Owner, the agency (BOS, OCB, ITA, BSL, LADWP)
  category  RequestType, owned by the agency its rows name most

Each request becomes, in the data's own time (milliseconds after the first
CreatedDate): the hotline reports it (CreatedDate); the grid's officer hands
it up at once (+1 min), the committee dispatches it to the agency (+2 min);
a worker of the agency claims and accepts it when the data schedules the
service (ServiceDate, when it lies between creation and closing; else
shortly before closing) and resolves it at ClosedDate; the officer verifies
it an hour later. Requests never closed, or closed before they were made
(errors in the source), are reported and dispatched only.

Closings months later stretch the timeline to 290 days: bench_replay plays
a window of it (its HOURS).

usage: la311.py CSV OUTDIR     writes OUTDIR/city.cfg, OUTDIR/roster.cfg,
                               OUTDIR/events.tsv and prints a summary"""
import collections
import csv
import datetime
import re
import sys

MINUTE = 60 * 1000


def slug(text, fallback):
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]
    return s or fallback


def when(text):
    if not text:
        return None
    return datetime.datetime.strptime(text, "%m/%d/%Y %I:%M:%S %p")


def main():
    source, out = sys.argv[1], sys.argv[2]
    rows = list(csv.DictReader(open(source, newline="", encoding="utf-8")))
    rows.sort(key=lambda r: when(r["CreatedDate"]))
    start = when(rows[0]["CreatedDate"])

    def ms(t):
        return int((t - start).total_seconds() * 1000)

    # The places: APC > (APC, CD) > NC, each NC under the pair it is seen most with
    apc_of = lambda r: slug(r["APC"], "apc-unknown")
    community_of = lambda r: "%s-cd%s" % (apc_of(r), r["CD"] or "0")
    nc_pairs = collections.defaultdict(collections.Counter)
    for r in rows:
        if r["NC"]:
            nc_pairs[r["NC"]][community_of(r)] += 1
    grid_home = {nc: pairs.most_common(1)[0][0] for nc, pairs in nc_pairs.items()}
    nc_names = {r["NC"]: r["NCName"] for r in rows if r["NC"]}
    apc_names = {apc_of(r): r["APC"] or "unknown" for r in rows}

    def grid_of(r):
        return "nc-%s" % r["NC"] if r["NC"] else community_of(r) + "-nonc"

    streets = collections.defaultdict(lambda: collections.defaultdict(set))
    for r in rows:
        community = grid_home[r["NC"]] if r["NC"] else community_of(r)
        apc = community.rsplit("-cd", 1)[0]
        streets[apc][community].add(grid_of(r))
    community_of_grid = {}
    for apc, communities in streets.items():
        for community, grids in communities.items():
            for g in grids:
                community_of_grid[g] = community

    owners = {"BOS": "Bureau of Sanitation", "OCB": "Office of Community Beautification",
              "ITA": "Information Technology Agency", "BSL": "Bureau of Street Lighting",
              "LADWP": "Department of Water and Power"}
    type_owner = collections.defaultdict(collections.Counter)
    for r in rows:
        type_owner[r["RequestType"]][r["Owner"]] += 1
    categories = {t: (slug(t, "other"), c.most_common(1)[0][0].lower()) for t, c in type_owner.items()}

    with open(out + "/city.cfg", "w", encoding="utf-8") as f:
        f.write('#   Los Angeles 311, 2017-12-27 to 31, mapped by tests/bench/la311.py\n')
        f.write('gridcase\n    timezone = "America/Los_Angeles"\n    roster = "roster.cfg"\n')
        f.write('rules\n    calendar = always\n')
        f.write('city\n    district = la\n        name = "Los Angeles"\n')
        for apc in sorted(streets):
            f.write('        street = %s\n            name = "%s"\n' % (apc, apc_names[apc]))
            for community in sorted(streets[apc]):
                f.write('            community = %s\n' % community)
                for g in sorted(streets[apc][community]):
                    name = nc_names.get(g[3:], "") if g.startswith("nc-") else ""
                    f.write('                grid = %s\n' % g)
                    if name:
                        f.write('                    name = "%s"\n' % name.replace('"', "'"))
        f.write('departments\n')
        for d, name in owners.items():
            f.write('    department = %s\n        name = "%s"\n' % (d.lower(), name))
        f.write('categories\n')
        for t, (c, d) in sorted(categories.items(), key=lambda x: x[1][0]):
            f.write('    category = %s\n        name = "%s"\n        department = %s\n' % (c, t, d))

    workers = 4
    with open(out + "/roster.cfg", "w", encoding="utf-8") as f:
        f.write("roster\n")
        f.write("    actor = hotline-311\n        role = intake\n        district = la\n")
        f.write("    actor = sup-la\n        role = supervisor\n        district = la\n")
        f.write("    actor = admin\n        role = admin\n")
        for g in sorted(community_of_grid):
            f.write("    actor = o-%s\n        role = officer\n        grid = %s\n" % (g, g))
        for c in sorted(set(community_of_grid.values())):
            f.write("    actor = c-%s\n        role = committee\n        community = %s\n" % (c, c))
        for d in owners:
            for i in range(1, workers + 1):
                f.write("    actor = w-%s-%d\n        role = worker\n        department = %s\n"
                        % (d.lower(), i, d.lower()))

    # The timeline: time, row, action, role, actor, argument, argument
    events = []
    counts = collections.Counter()
    for n, r in enumerate(rows):
        created, closed, service = when(r["CreatedDate"]), when(r["ClosedDate"]), when(r["ServiceDate"])
        g = grid_of(r)
        category, department = categories[r["RequestType"]]
        t = ms(created)
        worker = "w-%s-%d" % (department, n % workers + 1)
        events.append((t, n, "report", "intake", "hotline-311", g, category))
        events.append((t + MINUTE, n, "escalate", "officer", "o-" + g, "", ""))
        events.append((t + 2 * MINUTE, n, "dispatch", "committee", "c-" + community_of_grid[g], "", ""))
        counts["reported"] += 1
        if not closed or closed < created:
            counts["never resolved"] += 1
            continue
        done = max(ms(closed), t + 4 * MINUTE)
        take = ms(service) if service and created < service < closed else done - 2 * MINUTE
        take = max(take, t + 3 * MINUTE)
        events.append((take, n, "claim", "worker", worker, "", ""))
        events.append((take + 1000, n, "accept", "worker", worker, "", ""))
        events.append((max(done, take + 2000), n, "resolve", "worker", worker, "", ""))
        events.append((max(done, take + 2000) + 60 * MINUTE, n, "verify", "officer", "o-" + g, "", ""))
        counts["resolved"] += 1
    events.sort(key=lambda e: (e[0], e[1]))
    with open(out + "/events.tsv", "w", encoding="utf-8") as f:
        for e in events:
            f.write("\t".join(str(x) for x in e) + "\n")
    span_h = events[-1][0] / 3600000
    print("rows=%d events=%d span_h=%.1f streets=%d communities=%d grids=%d categories=%d "
          "never_resolved=%d" % (len(rows), len(events), span_h, len(streets),
                                 len(set(community_of_grid.values())), len(community_of_grid),
                                 len(categories), counts["never resolved"]))


main()
