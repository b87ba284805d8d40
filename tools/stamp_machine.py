"""Record in executed notebooks which machine ran them (for build-info).

    python tools/stamp_machine.py chapters/rnn-scratch.ipynb ...

Adds `metadata.d2lsave.executed_on` = {cpu, cores, device} to each notebook
(`make execute` calls it after executing each one). Run it only on the
machine that has just executed the notebook.
"""

import json
import os
import sys

from d2lsave import d2l
from d2lsave._env import cpu_name


def main(paths):
    machine = {
        'cpu': cpu_name(),
        'cores': os.cpu_count(),
        'device': str(d2l.try_gpu()),
    }
    for path in paths:
        with open(path, encoding='utf-8') as f:
            notebook = json.load(f)
        notebook['metadata'].setdefault('d2lsave', {})['executed_on'] = machine
        with open(path, 'w', encoding='utf-8') as f:
            json.dump(notebook, f, indent=1, ensure_ascii=False)
            f.write('\n')
        print(f'{path}: executed on {machine["cpu"]}, {machine["device"]}')


if __name__ == '__main__':
    main(sys.argv[1:])
