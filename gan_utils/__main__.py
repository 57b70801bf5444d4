"""`python -m gan_utils ...`: see gan_utils/cli.py."""

from gan_utils.cli import main

main()
