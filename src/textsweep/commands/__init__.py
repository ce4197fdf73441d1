"""The `textsweep` subcommands other than train. Each parses its arguments, calls a computation and renders it;
commands raise, and textsweep.cli prints the one error line. Nothing outside this package imports a command."""
