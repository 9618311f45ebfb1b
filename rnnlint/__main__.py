import sys

from rnnlint.cli import main

sys.exit(main())
