"""What a change to the flows means for the professional, in words.

Not which lines changed, but: which questions are new, gone or reworded;
which answers now lead elsewhere; which advice is given in more or fewer
situations — each with an example path. :mod:`.walk` drives the real engine
through every answer of every question (bounded), :mod:`.compare` replays
each old path on the new flows and the other way round.
"""
