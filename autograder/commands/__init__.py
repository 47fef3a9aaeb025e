"""One module per `nlpgrade` subcommand, each with `main(argv) -> int`."""
