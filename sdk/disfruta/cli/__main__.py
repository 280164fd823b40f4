"""``python -m disfruta.cli``."""

from disfruta.cli import main

main()
