"""``python -m protoverify`` is the ``protoverify`` command."""

from .cli import main

main()
