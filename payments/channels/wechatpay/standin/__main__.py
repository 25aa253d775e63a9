"""``python -m payments.channels.wechatpay.standin --port 8765``: see ``cli.main``."""

import sys

from payments.channels.wechatpay.standin.cli import main

if __name__ == "__main__":
    main(sys.argv[1:])
