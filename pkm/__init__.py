"""pkm: a personal knowledge manager (Seek > Sense > Share).

Only the version lives here: importing pkm must stay cheap (no I/O, no heavy imports).
"""

__version__ = "0.1.0"
__url__ = "https://github.com/pkm-dev/pkm"
