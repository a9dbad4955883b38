"""Discord extensions, one per feature, each ending in `async def setup(bot)`.

Each registers its own commands, listeners and button classes when it loads; the embeds they
send are built by `bot.app`, which is not an extension.
"""
