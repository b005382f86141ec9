"""``gisplan user hash-password``: make a bcrypt hash for the users configuration."""

from __future__ import annotations

import argparse


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``gisplan user`` and its options to the CLI's sub-parsers."""
    p = sub.add_parser("user", help="user administration (password hashes) / 用户管理")
    inner = p.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    h = inner.add_parser("hash-password", help="print the bcrypt hash of a password")
    h.add_argument(
        "--stdin", action="store_true", help="read the password from standard input (for scripts)"
    )
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``gisplan user``; the exit status."""
    from gisplan.store.auth import hash_password_command

    return hash_password_command(from_stdin=args.stdin)
