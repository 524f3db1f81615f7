# Prints list(set(xs)) as CPython 2.7 iterates it, for lists of floats used
# by TestPysetOrder. Run: python2 pyset-gen.py > pyset.txt
import random
rng = random.Random(7)
cases = [
    [4.0, 7.0, 4.0, 4.0, 10.0, 10.0, 10.0, 7.0, 4.0, 7.0],
    [0.0, 1.0], [1.0, 0.0], [-1.0, -2.0, 3.5],
    [0.25, 1.5, 2.75, 3.125, -1.5, 7.0],
    [8.415932315426764, 7.0, 4.0, 10.0, 9.610859134120188],
    [100.0, 75.0, 40.0, 0.0, 35.0, 65.0],
    [float(i) for i in range(20)],
    [i * 0.1 for i in range(30)],
]
for k in range(40):
    n = rng.randint(1, 25)
    style = k % 3
    if style == 0:
        xs = [float(rng.randint(-10, 40)) for _ in range(n)]
    elif style == 1:
        xs = [rng.uniform(-100, 100) for _ in range(n)]
    else:
        xs = [rng.choice([0.5, 1.25, 4.0, 7.0, 9.75, 1e9 + 0.5, -3.0, 2.0 ** 40]) for _ in range(n)]
    cases.append(xs)
for xs in cases:
    print ' '.join(repr(x) for x in xs) + ' | ' + ' '.join(repr(x) for x in list(set(xs)))
