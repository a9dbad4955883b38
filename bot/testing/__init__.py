"""Test tools that ship with the package: a loopback stand-in for Discord."""
