"""The command line: ``python -m payments.channels.alipay.standin [--host H] [--port P] [--manual-refunds]
[--quiet]`` serves the Alipay stand-in with the development keys (``payments/channels/alipay/devkeys/``).
"""

from __future__ import annotations

import argparse
import threading


def main(argv: list[str] | None = None) -> None:
    """Serve the stand-in with the development keys until interrupted (Ctrl-C)."""
    from payments.channels.alipay import standin as package  # its docstring says what the stand-in is
    from payments.channels.alipay.dev import dev_config, dev_standin

    summary = (package.__doc__ or "").splitlines()[0]
    parser = argparse.ArgumentParser(prog="python -m payments.channels.alipay.standin", description=summary)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--manual-refunds", action="store_true", help="refunds stay processing until completed")
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args(argv)
    standin = dev_standin(auto_refund_seconds=None if args.manual_refunds else 0, verbose=not args.quiet)
    url = standin.start(args.host, args.port)
    config = dev_config()
    print(f"Alipay stand-in (development keys, never production) at {url}", flush=True)
    print(f"  gateway {standin.gateway}  app_id {config['app_id']}  seller_id {config['seller_id']}")
    print(f'  control: curl -X POST {url}/_control -d \'{{"action": "pay", "out_trade_no": "..."}}\'', flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()
