import sys

from gangwen_dash.cli import main

sys.exit(main())
