# ENC-06: the module has no input: its settings are fixed to their hardened values, so no
# caller can turn one off by passing a variable.
