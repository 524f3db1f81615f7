# Generates random actor tables, runs the replication (bdm_scholz_model.py at
# jmckib/bdm-scholz-expected-utility-model 55f63e9) on each, and writes the
# rounds as JSON lines with exact (repr) floats. Run with Python 2.7:
#   python2 gen.py N_CASES ROUNDS SEED > replication.jsonl
import sys, json, random
sys.path.insert(0, '/tmp/bdm')
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

if __name__ == '__main__':
    n, rounds, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    for k in range(n):
        print json.dumps(run(case(rng, k), rounds))
