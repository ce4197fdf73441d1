from textsweep.cli import run

run()
