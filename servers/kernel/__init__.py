"""The suite's shared kernel: error codes and classes, the unit of work, database channel names and the
version. Every layer of every package may import it; it imports nothing else of the suite."""
