# Runs the replication of Scholz et al. (bdm_scholz_model.py from
# github.com/jmckib/bdm-scholz-expected-utility-model at 55f63e9; put a copy
# beside this script, it is not part of Parley) and writes what it computes,
# floats as repr (exact), for the faithful-mode tests. Python 2.7:
#
#   python2 replication-gen.py 200 10 2026 > replication.jsonl   # random tables
#   python2 replication-gen.py ec EC.csv 10 > ec-replication.json  # one CSV table
#
# replication.jsonl was made by CPython 2.7.18 on glibc 2.36 (x86-64).
import sys, os, csv, json, random
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bdm_scholz_model as bdm

def case(rng, k):
    n = rng.choice([2, 2, 3, 3, 4, 5, 6, 7, 8, 10, 12])
    style = k % 4
    rows = []
    for i in range(n):
        if style == 0:   # integer grid with ties, coarse weights: exact-tie medians
            x = float(rng.randint(0, 4)); c = rng.choice([0.1, 0.2, 0.3]); s = rng.choice([0.5, 1.0])
        elif style == 1: # continuous
            x = rng.uniform(0, 100); c = rng.uniform(0, 1); s = rng.uniform(0, 1)
        elif style == 2: # fractional grid
            x = rng.choice([0.25, 1.5, 2.75, 3.125, -1.5, 7.0]); c = rng.uniform(0.01, 1); s = rng.uniform(0.05, 1)
        else:            # EC-like
            x = float(rng.choice([4, 7, 10])); c = rng.choice([.03, .05, .08, .16]); s = rng.choice([.1, .2, .4, .6, .7, .8, .9, 1.0])
        rows.append({'Actor': 'A%d' % i, 'Capability': repr(c), 'Position': repr(x), 'Salience': repr(s)})
    return rows

def run(rows, rounds):
    out = {'actors': [[r['Actor'], float(r['Capability']), float(r['Position']), float(r['Salience'])] for r in rows], 'rounds': []}
    try:
        m = bdm.BDMScholzModel(rows)
        out['rounds'].append({'positions': [a.x for a in m.actors], 'median': m.median_position(), 'mean': m.mean_position(), 'moves': []})
        for k in range(1, rounds + 1):
            m.update_risk_aversions()
            offers = [(a, a.best_offer()) for a in m.actors]
            moves = []
            for a, o in offers:
                if o:
                    moves.append([a.name, o.other_actor.name, o.offer_type, o.eu, o.other_eu, o.position])
                    a.x = o.position
            out['rounds'].append({'positions': [a.x for a in m.actors], 'median': m.median_position(), 'mean': m.mean_position(), 'moves': moves})
    except ZeroDivisionError:
        out['error'] = len(out['rounds'])
    return out

def run_ec(rows, rounds):
    m = bdm.BDMScholzModel(rows)
    out = [{'round': 0, 'positions': [a.x for a in m.actors], 'median': m.median_position(), 'mean': m.mean_position(), 'moves': []}]
    for k in range(1, rounds + 1):
        m.update_risk_aversions()
        r = [a.r for a in m.actors]
        offers = [(a, a.best_offer()) for a in m.actors]
        moves = []
        for a, o in offers:
            if o:
                moves.append({'actor': a.name, 'other': o.other_actor.name, 'type': o.offer_type, 'eu': o.eu, 'other_eu': o.other_eu, 'position': o.position})
                a.x = o.position
        out.append({'round': k, 'risk': r, 'positions': [a.x for a in m.actors], 'median': m.median_position(), 'mean': m.mean_position(), 'moves': moves})
    return out

if __name__ == '__main__':
    if sys.argv[1] == 'ec':
        print json.dumps(run_ec(list(csv.DictReader(open(sys.argv[2]))), int(sys.argv[3])))
        sys.exit(0)
    n, rounds, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    for k in range(n):
        print json.dumps(run(case(rng, k), rounds))
