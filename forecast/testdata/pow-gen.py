# Prints x y x**y with x**y correctly rounded, computed with Python's decimal
# module at 60 digits (exp and ln are correctly rounded there), for
# TestCorrectlyRoundedPow. Run: python3 pow-gen.py > pow.txt
import random
from decimal import Decimal, getcontext
getcontext().prec = 60
rng = random.Random(11)
for i in range(3000):
    k = i % 4
    if k == 0:
        x, y = rng.random(), rng.uniform(0.5, 2)
    elif k == 1:
        x, y = 0.5 + 0.5 * rng.random(), rng.uniform(0.5, 2)
    elif k == 2:
        x, y = rng.uniform(0, 1e-3), rng.uniform(0.5, 2)
    else:
        x, y = rng.uniform(0, 50), rng.uniform(-3, 3)
    if x == 0:
        continue
    z = float((Decimal(x).ln() * Decimal(y)).exp())
    print(x.hex(), y.hex(), z.hex())
