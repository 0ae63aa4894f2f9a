"""The ODM's domain: table models, lifecycles (the machine and the tables of spec §5), numbering, rules,
and the commands and views the services take and return. Pure Python: no I/O."""
