"""``python -m payments.channels.alipay.standin --port 8766``: see ``cli.main``."""

import sys

from payments.channels.alipay.standin.cli import main

if __name__ == "__main__":
    main(sys.argv[1:])
