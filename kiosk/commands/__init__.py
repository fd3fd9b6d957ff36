"""Sub-commands of the `kiosk` command line, one module per group.

Each module exposes `register(subparsers)` which adds its sub-parser(s) and sets
`func` (a callable taking the parsed `argparse.Namespace` and returning an exit code).
"""
