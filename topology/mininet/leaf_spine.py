#!/usr/bin/python3
"""leaf-spine in Mininet: two FRR spines, a BIRD leaf and an FRR leaf, four hosts running
`tsroute node run` -- the fabric of topology/leaf-spine/leaf-spine.clab.yml, with the same router
configurations. Each leaf reaches the other leaf's hosts over both spines (ECMP).

    sudo /usr/bin/python3 topology/mininet/leaf_spine.py [--keep]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tsroute_mn import Fabric  # noqa: E402

LS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'leaf-spine')


def build(f):
    s1, s2, l1, l2 = f.router('spine1'), f.router('spine2'), f.router('leaf1'), f.router('leaf2')
    f.link(s1, 'eth1', '10.1.11.1/24', l1, 'eth1', '10.1.11.2/24')
    f.link(s1, 'eth2', '10.1.12.1/24', l2, 'eth1', '10.1.12.2/24')
    f.link(s2, 'eth1', '10.2.11.1/24', l1, 'eth2', '10.2.11.2/24')
    f.link(s2, 'eth2', '10.2.12.1/24', l2, 'eth2', '10.2.12.2/24')
    for i, leaf in ((1, l1), (2, l1), (3, l2), (4, l2)):
        h = f.host('h%d' % i, as_number=65300 + i, address='10.0.%d.2' % i, containers=1)
        f.link(leaf, 'eth3' if i in (1, 3) else 'eth4', '10.0.%d.1/24' % i, h, 'eth1', '10.0.%d.2/24' % i)
    f.start()
    for r, d in ((s1, 'spine1'), (s2, 'spine2'), (l2, 'leaf2')):
        f.frr(r, os.path.join(LS, d, 'frr.conf'))
    f.bird(l1, os.path.join(LS, 'leaf1', 'bird.conf'))
    f.apply(os.path.join(LS, 'tsroute.yaml'))
    f.start_agents()


if __name__ == '__main__':
    sys.exit(Fabric.main(build, keep='--keep' in sys.argv))
