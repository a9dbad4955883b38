"""python -m bot: the command line; every command is registered in bot/cli/__init__.py."""

from bot.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
