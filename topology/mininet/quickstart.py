#!/usr/bin/python3
"""quickstart in Mininet: one FRR top-of-rack router and three hosts running `tsroute node run`, eBGP
with one AS per host -- the same fabric as topology/quickstart/quickstart.clab.yml, for those who
live in Mininet. Linux namespaces only: no switch, no Open vSwitch, no controller.

    sudo /usr/bin/python3 topology/mininet/quickstart.py [--keep]

Needs: mininet (Debian: `apt-get install --no-install-recommends mininet`), frr, etcd-server, and
tsroute built (`npm run build`; or set TSROUTE_CLI to the command that runs the tsroute CLI).
Prints the reachability matrix and exits 0 when every container reaches every other. Everything it
starts is stopped by PID and its namespaces removed with net.stop() (never `mn -c`).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tsroute_mn import Fabric  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
QUICKSTART = os.path.join(HERE, '..', 'quickstart')


def build(f):
    tor = f.router('tor')
    for i in (1, 2, 3):
        h = f.host('h%d' % i, as_number=65000 + i, address='10.0.%d.2' % i)
        f.link(tor, 'eth%d' % i, '10.0.%d.1/24' % i, h, 'eth1', '10.0.%d.2/24' % i)
    f.start()
    f.frr(tor, os.path.join(QUICKSTART, 'tor', 'frr.conf'))
    f.apply(os.path.join(QUICKSTART, 'tsroute.yaml'))
    f.start_agents()


if __name__ == '__main__':
    sys.exit(Fabric.main(build, keep='--keep' in sys.argv))
