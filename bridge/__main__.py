"""`python -m bridge`: the same CLI as the `bpbridge` console script."""

from bridge.cli.main import main

main(prog_name="python -m bridge")
