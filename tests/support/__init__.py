"""Test tools: a loopback stand-in for Discord, shared by the tests and the bench scripts."""
