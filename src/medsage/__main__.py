"""`python -m medsage` runs the command-line tool."""

from medsage.cli.main import main

main()
