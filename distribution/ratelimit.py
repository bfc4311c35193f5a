"""The fixed-window counter moved to the kernel (`eventchain.ratelimit`) so every lane can use it."""

from eventchain.ratelimit import hit

__all__ = ["hit"]
