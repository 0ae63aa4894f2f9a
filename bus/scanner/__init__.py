"""The attention-queue scanner (spec 4.14): pluggable condition sources, one leader per cycle."""
