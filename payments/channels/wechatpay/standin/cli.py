"""The command line: ``python -m payments.channels.wechatpay.standin [--host H] [--port P] [--manual-refunds]
[--quiet]`` serves a stand-in with the development keys (``make standin``, and ``make run`` alongside the portal).
"""

from __future__ import annotations

from payments.channels.standin_kit import serve_from_command_line
from payments.channels.wechatpay.standin.dev import dev_config, dev_standin


def main(argv: list[str] | None = None) -> None:
    """Serve the stand-in with the development keys until interrupted (Ctrl-C)."""
    from payments.channels.wechatpay import standin as package  # its docstring says what the stand-in is

    config = dev_config()
    serve_from_command_line(
        argv,
        prog="python -m payments.channels.wechatpay.standin",
        description=(package.__doc__ or "").splitlines()[0],
        port=8765,
        title="WeChat Pay stand-in",
        make=dev_standin,
        details=lambda standin: (
            f"mchid {config['mchid']}  appid {config['appid']}  platform serial {config['platform_serial']}"
        ),
    )
