import os
import sys
from pathlib import Path

os.environ.setdefault('MPLBACKEND', 'Agg')  # tests draw no windows
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tools'))  # the build script's module
