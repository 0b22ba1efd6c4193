import sys

from tracegate.cli import main

sys.exit(main())
