"""The script spark-submit runs, because spark-submit takes a ``.py`` file, not a module.

``python -m tokenscam.spark_submit`` prints this file's path, so that on the machine that submits:

    spark-submit [spark options] "$(python -m tokenscam.spark_submit)" spark-score --input … --output …

Run by spark-submit as ``__main__`` it is the ``tokenscam`` command line.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Print the path (``python -m``), or be the CLI (spark-submit runs this file directly)."""
    if __package__:  # python -m tokenscam.spark_submit
        print(os.path.abspath(__file__))
        return
    # Run as a plain script, this file's directory is first on sys.path, where the package's
    # modules would shadow top-level names; import the installed package instead.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    from tokenscam.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
