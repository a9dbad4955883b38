"""Discord extensions, one per feature, each ending in `async def setup(bot)`.

`render` is not an extension: it turns the core's Reply into embeds and buttons for them.
"""
